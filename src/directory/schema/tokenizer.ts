/**
 * Lexical layer of schema files: splitting a file into statements the way slapd does,
 * and cutting an RFC 4512 description into tokens that remember their line and column.
 *
 * @packageDocumentation
 */
import { SchemaParseError } from './errors.js';

/** One physical line's share of a statement. */
interface Segment {
  /** Offset of this segment in the joined statement text. */
  readonly offset: number;
  /** 1-based line number in the file. */
  readonly line: number;
  /** 1-based column in the file where the segment's text starts. */
  readonly column: number;
}

/**
 * A logical line of a schema file: a line starting with a non-blank character plus the
 * continuation lines after it (lines starting with white space), joined with one space.
 */
export class Statement {
  readonly file: string;
  /** The joined text. */
  readonly text: string;
  private readonly segments: readonly Segment[];

  constructor(file: string, text: string, segments: readonly Segment[]) {
    this.file = file;
    this.text = text;
    this.segments = segments;
  }

  /** 1-based line where the statement starts. */
  get line(): number {
    return this.segments[0]?.line ?? 1;
  }

  /** File line and column of an offset in {@link text}. */
  locate(offset: number): { line: number; column: number } {
    let found = this.segments[0] ?? { offset: 0, line: 1, column: 1 };
    for (const segment of this.segments) {
      if (segment.offset > offset) break;
      found = segment;
    }
    return { line: found.line, column: found.column + Math.max(0, offset - found.offset) };
  }

  /** An error located at an offset of the joined text. */
  error(offset: number, reason: string): SchemaParseError {
    const { line, column } = this.locate(offset);
    return new SchemaParseError(this.file, line, column, reason);
  }
}

/**
 * Splits a schema file into statements, following slapd's reading of configuration files:
 * `#` comment lines and blank lines are skipped and END the statement in progress (so a
 * comment inside a definition truncates it, as in slapd); a line starting with white space
 * continues the previous line (after a comment, it continues the comment and is ignored). Line ends may be LF or CRLF. Continuation lines lose their
 * leading white space and are joined with a single space (slapd keeps the extra spaces,
 * which only matters inside a DESC folded over several lines).
 */
export function splitStatements(text: string, file: string): Statement[] {
  const statements: Statement[] = [];
  const lines = text.split('\n');
  let parts: string[] = [];
  let segments: Segment[] = [];
  let length = 0;

  const flush = (): void => {
    if (parts.length > 0) statements.push(new Statement(file, parts.join(' '), segments));
    parts = [];
    segments = [];
    length = 0;
  };

  let inComment = false;
  lines.forEach((raw, index) => {
    const line = raw.replace(/[\s]+$/u, '');
    const lineNumber = index + 1;
    if (line === '' || line.startsWith('#')) {
      flush();
      inComment = line !== '';
      return;
    }
    if (/^\s/u.test(line)) {
      // After a comment line, slapd glues the continuation to the comment: ignored too.
      if (inComment) return;
      const stripped = line.replace(/^\s+/u, '');
      const column = line.length - stripped.length + 1;
      if (parts.length === 0) {
        throw new SchemaParseError(file, lineNumber, 1, 'continuation line (starting with white space) without a statement to continue');
      }
      length += 1; // the joining space
      segments.push({ offset: length, line: lineNumber, column });
      parts.push(stripped);
      length += stripped.length;
      return;
    }
    flush();
    inComment = false;
    segments.push({ offset: 0, line: lineNumber, column: 1 });
    parts.push(line);
    length = line.length;
  });
  flush();
  return statements;
}

/** Token kinds of an RFC 4512 description. */
export type TokenKind = 'lparen' | 'rparen' | 'dollar' | 'quoted' | 'word';

/** A token and where it starts in the statement text. */
export interface Token {
  readonly kind: TokenKind;
  /** For `quoted`, the unescaped content; otherwise the text as written. */
  readonly value: string;
  /** Offset in the statement text. */
  readonly offset: number;
}

const WORD_STOP = new Set([' ', '\t', '(', ')', '$', "'"]);

/**
 * Cuts `text` (from `start`) into tokens: `(`, `)`, `$`, quoted strings (with the RFC 4512
 * escapes `\27` for `'` and `\5C` for `\`) and words (keywords, OIDs, descriptors,
 * `oid{len}`).
 *
 * @throws {@link SchemaParseError} on an unterminated string or a bad escape.
 */
export function tokenize(statement: Statement, start = 0): Token[] {
  const text = statement.text;
  const tokens: Token[] = [];
  let i = start;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t') {
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === '$') {
      tokens.push({ kind: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'dollar', value: ch, offset: i });
      i += 1;
      continue;
    }
    if (ch === "'") {
      const begin = i;
      i += 1;
      let value = '';
      for (;;) {
        if (i >= text.length) throw statement.error(begin, 'unterminated quoted string (missing closing \')');
        const c = text[i] as string;
        if (c === "'") break;
        if (c === '\\') {
          const escape = text.slice(i + 1, i + 3);
          if (escape === '27') value += "'";
          else if (escape.toLowerCase() === '5c') value += '\\';
          else throw statement.error(i, `invalid escape '\\${escape}' in quoted string (only \\27 and \\5C are allowed)`);
          i += 3;
          continue;
        }
        value += c;
        i += 1;
      }
      i += 1;
      tokens.push({ kind: 'quoted', value, offset: begin });
      continue;
    }
    const begin = i;
    while (i < text.length && !WORD_STOP.has(text[i] as string)) i += 1;
    tokens.push({ kind: 'word', value: text.slice(begin, i), offset: begin });
  }
  return tokens;
}
