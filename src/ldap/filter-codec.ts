/**
 * Search filters read from BER (RFC 4511 §4.5.1.7). Read here rather than by ldapjs, which
 * hands values over inconsistently (escaped in some filter types, Latin-1-decoded in
 * substring initials), and with a nesting limit against deeply nested filters
 * (slapd's CVE-2020-12243).
 */
import type { Filter } from '../directory/index.js';
import { BerError, BerReader } from '../protocol/index.js';

/** Deepest nesting of and/or/not accepted. */
export const MAX_FILTER_DEPTH = 64;
/**
 * Most elements in one filter: operators, assertions, and each piece of a substring
 * assertion (`(cn=*a*b*)` counts three), so that a filter's cost is bounded by its count.
 */
export const MAX_FILTER_ELEMENTS = 1024;

const text = (bytes: Buffer): string => bytes.toString('utf8');

/** Reads a search filter, refusing one nested too deep or with too many elements. */
export function decodeFilter(reader: BerReader): Filter {
  const budget = { left: MAX_FILTER_ELEMENTS };
  return decodeElement(reader, 1, budget);
}

function decodeElement(reader: BerReader, depth: number, budget: { left: number }): Filter {
  if (depth > MAX_FILTER_DEPTH) throw new BerError(`filter nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (--budget.left < 0) throw new BerError(`filter with more than ${MAX_FILTER_ELEMENTS} elements`);
  const tag = reader.peek();
  switch (tag) {
    case 0xa0:
    case 0xa1: {
      const set = reader.enter(tag);
      const filters: Filter[] = [];
      while (!set.done) filters.push(decodeElement(set, depth + 1, budget));
      return { type: tag === 0xa0 ? 'and' : 'or', filters };
    }
    case 0xa2: {
      const inner = reader.enter(0xa2);
      const filter = decodeElement(inner, depth + 1, budget);
      if (!inner.done) throw new BerError('trailing data in a not filter');
      return { type: 'not', filter };
    }
    case 0xa3:
    case 0xa5:
    case 0xa6:
    case 0xa8: {
      const ava = reader.enter(tag);
      const attribute = text(ava.bytes(0x04));
      const value = text(ava.bytes(0x04));
      const type = tag === 0xa3 ? 'equality' : tag === 0xa5 ? 'ge' : tag === 0xa6 ? 'le' : 'approx';
      return { type, attribute, value };
    }
    case 0xa4: {
      const sub = reader.enter(0xa4);
      const attribute = text(sub.bytes(0x04));
      const pieces = sub.enter(0x30);
      const filter: Filter = { type: 'substrings', attribute, any: [] };
      let count = 0;
      while (!pieces.done) {
        if (--budget.left < 0) throw new BerError(`filter with more than ${MAX_FILTER_ELEMENTS} elements`);
        const piece = pieces.next();
        const value = text(pieces.buffer.subarray(piece.start, piece.end));
        count += 1;
        if (piece.tag === 0x80 && count === 1) filter.initial = value;
        else if (piece.tag === 0x81) filter.any.push(value);
        else if (piece.tag === 0x82 && pieces.done) filter.final = value;
        else throw new BerError('misplaced substring element');
      }
      if (count === 0) throw new BerError('substring filter without substrings');
      return filter;
    }
    case 0x87:
      return { type: 'present', attribute: text(reader.bytes(0x87)) };
    case 0xa9: {
      const m = reader.enter(0xa9);
      const filter: Filter = { type: 'extensible', value: '', dnAttributes: false };
      if (m.peek() === 0x81) filter.rule = text(m.bytes(0x81));
      if (m.peek() === 0x82) filter.attribute = text(m.bytes(0x82));
      filter.value = text(m.bytes(0x83));
      if (m.peek() === 0x84) filter.dnAttributes = m.boolean(0x84);
      if (!m.done || (filter.rule === undefined && filter.attribute === undefined)) throw new BerError('malformed extensible match');
      return filter;
    }
    default:
      throw new BerError(`unknown filter type 0x${(tag ?? 0).toString(16)}`);
  }
}
