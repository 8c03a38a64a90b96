/**
 * LDAP search filters (RFC 4511 §4.5.1.7) as the directory sees them, independent of any
 * wire library, with a parser for the string form (RFC 4515).
 */
import { OperationError, ResultCode } from '../errors.js';

/** A search filter. Attribute names are as the client wrote them. */
export type Filter =
  | { type: 'and'; filters: Filter[] }
  | { type: 'or'; filters: Filter[] }
  | { type: 'not'; filter: Filter }
  | { type: 'equality' | 'ge' | 'le' | 'approx'; attribute: string; value: string }
  | { type: 'substrings'; attribute: string; initial?: string; any: string[]; final?: string }
  | { type: 'present'; attribute: string }
  | { type: 'extensible'; attribute?: string; rule?: string; value: string; dnAttributes: boolean };

/** Depth of nested and/or/not, for limits. */
export function filterDepth(f: Filter): number {
  switch (f.type) {
    case 'and':
    case 'or':
      return 1 + Math.max(0, ...f.filters.map(filterDepth));
    case 'not':
      return 1 + filterDepth(f.filter);
    default:
      return 1;
  }
}

/**
 * Decodes the `\hh` escapes of a filter value (RFC 4515 §3) into the UTF-8 text they spell.
 *
 * @throws {@link OperationError} protocolError for a malformed escape.
 */
export function unescapeFilterValue(text: string, whole = text): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\\') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(whole, `bad escape '\\${hex}'`);
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function bad(text: string, why: string): OperationError {
  return new OperationError(ResultCode.protocolError, `invalid filter '${text}': ${why}`);
}

/**
 * Parses the string form of a filter (RFC 4515).
 *
 * @throws {@link OperationError} protocolError with the reason.
 */
export function parseFilter(text: string): Filter {
  let pos = 0;
  const parse = (): Filter => {
    if (text[pos] !== '(') throw bad(text, `expected '(' at position ${pos + 1}`);
    pos += 1;
    const c = text[pos];
    let f: Filter;
    if (c === '&' || c === '|') {
      pos += 1;
      const filters: Filter[] = [];
      while (text[pos] === '(') filters.push(parse());
      f = { type: c === '&' ? 'and' : 'or', filters };
    } else if (c === '!') {
      pos += 1;
      f = { type: 'not', filter: parse() };
    } else {
      const end = findClose(pos);
      f = parseItem(text.slice(pos, end));
      pos = end;
    }
    if (text[pos] !== ')') throw bad(text, `expected ')' at position ${pos + 1}`);
    pos += 1;
    return f;
  };
  const findClose = (from: number): number => {
    let i = from;
    while (i < text.length && text[i] !== ')') {
      if (text[i] === '(') throw bad(text, `unescaped '(' at position ${i + 1}`);
      i += 1;
    }
    return i;
  };
  const parseItem = (item: string): Filter => {
    const m = /^([^=~<>:]*)(=|~=|>=|<=|:=|:)(.*)$/s.exec(item);
    if (!m) throw bad(text, `'${item}' is not an attribute assertion`);
    const [, attr = '', op, rest = ''] = m;
    if (op === ':' || op === ':=' || item.includes(':=')) return parseExtensible(item);
    if (!/^[A-Za-z0-9][A-Za-z0-9.;-]*$/.test(attr)) throw bad(text, `bad attribute description '${attr}'`);
    if (op === '~=') return { type: 'approx', attribute: attr, value: unescapeFilterValue(rest, text) };
    if (op === '>=') return { type: 'ge', attribute: attr, value: unescapeFilterValue(rest, text) };
    if (op === '<=') return { type: 'le', attribute: attr, value: unescapeFilterValue(rest, text) };
    if (rest === '*') return { type: 'present', attribute: attr };
    if (rest.includes('*')) {
      const parts = rest.split('*');
      const initial = parts[0] === '' ? undefined : unescapeFilterValue(parts[0]!, text);
      const final = parts.at(-1) === '' ? undefined : unescapeFilterValue(parts.at(-1)!, text);
      const any = parts.slice(1, -1).filter((p) => p !== '').map((p) => unescapeFilterValue(p, text));
      const f: Filter = { type: 'substrings', attribute: attr, any };
      if (initial !== undefined) f.initial = initial;
      if (final !== undefined) f.final = final;
      return f;
    }
    return { type: 'equality', attribute: attr, value: unescapeFilterValue(rest, text) };
  };
  const parseExtensible = (item: string): Filter => {
    const m = /^([A-Za-z0-9][A-Za-z0-9.;-]*)?(:dn)?(?::([A-Za-z0-9.-]+))?:=(.*)$/is.exec(item);
    if (!m || (!m[1] && !m[3])) throw bad(text, `'${item}' is not an extensible match`);
    const f: Filter = { type: 'extensible', value: unescapeFilterValue(m[4] ?? '', text), dnAttributes: m[2] !== undefined };
    if (m[1]) f.attribute = m[1];
    if (m[3]) f.rule = m[3];
    return f;
  };
  const f = parse();
  if (pos !== text.length) throw bad(text, `unexpected text after position ${pos}`);
  return f;
}

/** Escapes a value for the string form of a filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
