/**
 * Errors of schema files: syntax errors found while parsing one file, and consistency
 * errors found while putting files together.
 *
 * @packageDocumentation
 */
import type { SourceLocation } from './types.js';

/**
 * A schema file (or a single description) does not follow the grammar. The message
 * reads `file:line:column: what is wrong`.
 */
export class SchemaParseError extends Error {
  /** File name as given to the parser. */
  readonly file: string;
  /** 1-based line of the offending text. */
  readonly line: number;
  /** 1-based column of the offending text. */
  readonly column: number;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'SchemaParseError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** One inconsistency between definitions: an unknown reference, a duplicate, a cycle... */
export interface SchemaProblem {
  /** Where the definition at fault starts, when it came from a file. */
  readonly source?: SourceLocation | undefined;
  /** The element at fault, e.g. `attributetype 'cn'` or `objectclass 2.5.6.6`. */
  readonly element: string;
  readonly message: string;
}

/** Formats a problem as `file:line: element: message`. */
export function formatSchemaProblem(problem: SchemaProblem): string {
  const where = problem.source ? `${problem.source.file}:${problem.source.line}: ` : '';
  return `${where}${problem.element}: ${problem.message}`;
}

/** Definitions that parse but do not fit together. Carries every problem found. */
export class SchemaError extends Error {
  readonly problems: readonly SchemaProblem[];

  constructor(problems: readonly SchemaProblem[]) {
    const lines = problems.map(formatSchemaProblem);
    super(`invalid schema (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`);
    this.name = 'SchemaError';
    this.problems = problems;
  }
}
