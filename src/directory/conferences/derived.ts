/**
 * Conferences: the attributes derived from the conference blob. They are projections of the
 * SDP and are never written directly, so they cannot disagree with it.
 */
import { formatProblem, parseSdp, SCOPE_VALUE, summarize, toGeneralizedTime } from '../../sdp/index.js';
import { OperationError, ResultCode } from '../errors.js';

/** The keys {@link deriveFromBlob} gives, in the order it gives them (the order they are stored in). */
const FROM_BLOB = ['originator', 'isencrypted', 'starttime', 'stoptime', 'generaldescription', 'advertisingscope', 'url'] as const;

/**
 * Keys of the attributes derived from `conferenceBlob` (multicastClash from its groups
 * against the other conferences and leases, clashes.ts).
 */
export const DERIVED_KEYS: ReadonlySet<string> = new Set(['multicastclash', ...FROM_BLOB]);

/** The blob attribute's key. */
export const BLOB_KEY = 'conferenceblob';

/** Whether two states of an entry have the same conference blob (or both none): then the same groups at the same times. */
export const sameBlob = (a: Readonly<Record<string, readonly string[]>>, b: Readonly<Record<string, readonly string[]>>): boolean => a[BLOB_KEY]?.[0] === b[BLOB_KEY]?.[0];

/**
 * Validates a blob strictly and derives the indexed attributes (keys → values).
 *
 * @throws {@link OperationError} invalidAttributeSyntax with every problem the validator found.
 */
export function deriveFromBlob(blob: string): Record<string, string[]> {
  const result = parseSdp(blob, { mode: 'strict' });
  if (!result.valid) {
    throw new OperationError(
      ResultCode.invalidAttributeSyntax,
      `conferenceBlob: invalid SDP: ${result.errors.map(formatProblem).join('; ')}`,
    );
  }
  const s = summarize(result.description);
  const values: Record<(typeof FROM_BLOB)[number], string | undefined> = {
    originator: s.originator,
    isencrypted: s.isEncrypted ? '1' : '0',
    starttime: s.start ? toGeneralizedTime(s.start) : undefined,
    stoptime: s.stop ? toGeneralizedTime(s.stop) : undefined,
    generaldescription: s.description,
    advertisingscope: s.advertisingScope ? String(SCOPE_VALUE[s.advertisingScope]) : undefined,
    url: s.url,
  };
  const derived: Record<string, string[]> = {};
  for (const key of FROM_BLOB) if (values[key] !== undefined) derived[key] = [values[key]];
  return derived;
}

/**
 * What {@link deriveFromBlob} gives for the blob of `attributes`, read from them: stored
 * attributes hold the values derived from their blob when they were written, in its order. A
 * modify that leaves the blob alone takes them from the entry instead of parsing the SDP again.
 */
export function derivedOf(attributes: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  const derived: Record<string, string[]> = {};
  for (const key of FROM_BLOB) {
    const values = attributes[key];
    if (values !== undefined) derived[key] = [...values];
  }
  return derived;
}

/** The message for a client that writes a derived attribute itself. */
export function derivedWriteMessage(name: string): string {
  return `${name} is derived from conferenceBlob and cannot be written directly; change the SDP blob instead`;
}
