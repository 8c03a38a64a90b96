/**
 * Splits SDP text into typed lines, noting how each one ended, before any field is read.
 */

/** How a line was terminated in the text. */
export type LineEnding = 'crlf' | 'lf' | 'none';

/** One raw line: its number, type letter and value, or why it could not be read as such. */
export interface RawLine {
  /** 1-based. */
  readonly number: number;
  /** The whole line without its terminator. */
  readonly text: string;
  readonly ending: LineEnding;
}

/** Breaks text into lines. A final terminator does not start an extra (empty) line. */
export function splitLines(text: string): RawLine[] {
  const lines: RawLine[] = [];
  let number = 0;
  let start = 0;
  while (start < text.length) {
    number += 1;
    const lf = text.indexOf('\n', start);
    if (lf === -1) {
      lines.push({ number, text: text.slice(start), ending: 'none' });
      break;
    }
    const crlf = lf > start && text.charCodeAt(lf - 1) === 13;
    lines.push({ number, text: text.slice(start, crlf ? lf - 1 : lf), ending: crlf ? 'crlf' : 'lf' });
    start = lf + 1;
  }
  return lines;
}

/** The SDP type letters, in the order a session section lists them. */
export const SESSION_ORDER = ['v', 'o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'k', 'a', 'm'] as const;
/** The order inside a media section (after its `m=`). */
export const MEDIA_ORDER = ['m', 'i', 'c', 'b', 'k', 'a'] as const;

/** Every type letter SDP defines (`r=` and `z=` belong to time descriptions). */
export const KNOWN_TYPES: ReadonlySet<string> = new Set([...SESSION_ORDER, 'r', 'z']);

/** Names of fields as messages speak of them. */
export const FIELD_NAMES: Readonly<Record<string, string>> = {
  v: 'protocol version',
  o: 'origin',
  s: 'session name',
  i: 'information',
  u: 'URI',
  e: 'e-mail address',
  p: 'phone number',
  c: 'connection data',
  b: 'bandwidth',
  t: 'timing',
  r: 'repeat times',
  z: 'time zone adjustments',
  k: 'encryption key',
  a: 'attribute',
  m: 'media description',
};
