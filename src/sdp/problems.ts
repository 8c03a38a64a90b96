/**
 * Problems found in a session description, as the validator reports them.
 *
 * @packageDocumentation
 */

/** What kind of rule a problem breaks; stable identifiers for programs and tests. */
export type SdpProblemCode =
  /** Lines end with bare LF or CR, endings are mixed, or the last line has none. */
  | 'line-ending'
  /** An empty line. */
  | 'empty-line'
  /** A line that is not `<letter>=<value>`. */
  | 'malformed-line'
  /** A type letter SDP does not define; it invalidates the whole description. */
  | 'unknown-type'
  /** NUL or a stray CR inside a line. */
  | 'forbidden-character'
  /** A line out of the fixed order. */
  | 'order'
  /** A line that may appear only once appears again. */
  | 'duplicate'
  /** A mandatory line is absent. */
  | 'missing'
  /** A field's value does not follow its grammar. */
  | 'invalid-value'
  /** Multicast TTL missing (IPv4) or present where forbidden (IPv6, unicast). */
  | 'multicast-ttl'
  /** Start and stop times inconsistent. */
  | 'time-range'
  /** A construct later RFCs made obsolete; kept, but worth knowing. */
  | 'obsolete';

/** Errors make a description invalid; warnings do not. */
export type SdpSeverity = 'error' | 'warning';

/** One problem: where it is and what is wrong, in words a person understands. */
export interface SdpProblem {
  severity: SdpSeverity;
  code: SdpProblemCode;
  /** 1-based line number, absent when the problem is about a line that is missing. */
  line?: number;
  /** The field concerned, e.g. `c=` or `o= session id`. */
  field: string;
  message: string;
}

/** Formats a problem as one line: `line 4: c=: ...` (or `c=: ...` without a line). */
export function formatProblem(problem: SdpProblem): string {
  const where = problem.line === undefined ? '' : `line ${problem.line}: `;
  return `${where}${problem.field}: ${problem.message}`;
}

/**
 * Thrown where a valid description is required (strict parsing for the directory,
 * writing a model): carries every problem found.
 */
export class SdpError extends Error {
  readonly problems: readonly SdpProblem[];

  constructor(problems: readonly SdpProblem[], prefix = 'invalid session description') {
    super(`${prefix}: ${problems.map(formatProblem).join('; ')}`);
    this.name = 'SdpError';
    this.problems = problems;
  }
}
