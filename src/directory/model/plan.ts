/**
 * The query planner: the part of a filter the store's indexes can answer, as an index query
 * (src/store/query.ts), and whether that answer is exact. What the indexes hold is
 * decided in indexing.ts; assertion values take the evaluator's normal form, which is also
 * the form of the index rows.
 */
import type { IndexQuery } from '../../store/index.js';
import { generalizedTimeSeconds } from '../../sdp/time.js';
import type { FilterEvaluator } from './evaluate.js';
import type { Filter } from './filter.js';
import { isIndexed, SPAN_EDGES } from './indexing.js';
import { isOrdered, normalize, substringForm } from './matching.js';
import type { AttributeInfo, SchemaAccess } from '../schema/schema-access.js';

/** Plans the index queries of filters. */
export class FilterPlanner {
  readonly #schema: SchemaAccess;
  readonly #evaluator: FilterEvaluator;
  readonly #normalizeDn: (dn: string) => string;

  constructor(schema: SchemaAccess, evaluator: FilterEvaluator, normalizeDn: (dn: string) => string) {
    this.#schema = schema;
    this.#evaluator = evaluator;
    this.#normalizeDn = normalizeDn;
  }

  /**
   * `(startTime<=T1)` and `(stopTime>=T0)` side by side in an AND: the conferences whose span
   * overlaps [T0, T1], one R*Tree query.
   */
  #timeWindow(terms: readonly Filter[]): { terms: Filter[]; query: IndexQuery } | undefined {
    const bound = (type: 'le' | 'ge', edge: 'start' | 'stop'): { term: Filter; seconds: number } | undefined => {
      for (const term of terms) {
        if (term.type !== type || SPAN_EDGES.get(this.#schema.attribute(term.attribute)?.key ?? '') !== edge) continue;
        const seconds = generalizedTimeSeconds(term.value);
        if (seconds !== undefined) return { term, seconds };
      }
      return undefined;
    };
    const start = bound('le', 'start');
    const stop = bound('ge', 'stop');
    if (!start || !stop) return undefined;
    return { terms: [start.term, stop.term], query: { op: 'span', from: Math.floor(stop.seconds), to: Math.ceil(start.seconds) } };
  }

  /**
   * A term on a conference's start or stop time as a query of the span table: the times of
   * the assertion's second, or from or up to it. An assertion that is no time matches
   * nothing, as an impossible index value says; one the span table cannot place (not a
   * calendar time, though the matching rule takes it) is left to evaluation.
   */
  #timeEdge(attr: AttributeInfo, edge: 'start' | 'stop', value: string, type: 'eq' | 'ge' | 'le'): IndexQuery | undefined {
    if (this.#evaluator.assertion(attr, value) === undefined) return type === 'eq' ? { op: 'eq', attr: attr.key, value: '\u0000' } : undefined;
    const seconds = generalizedTimeSeconds(value);
    if (seconds === undefined) return undefined;
    if (type === 'ge') return { op: 'time', edge, from: Math.floor(seconds) };
    if (type === 'le') return { op: 'time', edge, to: Math.ceil(seconds) };
    return { op: 'time', edge, from: Math.floor(seconds), to: Math.ceil(seconds) };
  }

  /**
   * Whether the index answers the filter exactly, so that evaluating it on what the index
   * admits would only repeat the index: one equality term on an indexed attribute (ILS
   * looks conferences and people up by uid or cn). Its index rows hold the same normal form
   * that evaluation compares, so an entry the index names matches.
   */
  exact(filter: Filter): boolean {
    if (filter.type !== 'equality') return false;
    const attr = this.#schema.attribute(filter.attribute);
    return attr !== undefined && isIndexed(attr) && this.#evaluator.assertion(attr, filter.value) !== undefined;
  }

  /**
   * The part of a filter the index can answer, or undefined when the whole scope must be
   * read. The result admits a superset of the matching entries.
   */
  plan(filter: Filter): IndexQuery | undefined {
    switch (filter.type) {
      case 'and': {
        const window = this.#timeWindow(filter.filters);
        let parts = filter.filters
          .filter((f) => !window?.terms.includes(f))
          .map((f) => this.plan(f))
          .filter((q): q is IndexQuery => q !== undefined);
        if (window) parts.unshift(window.query);
        // objectClass matches a whole kind of entry here: intersecting with it only costs.
        const selective = parts.filter((q) => !(q.op === 'eq' && q.attr === 'objectclass'));
        if (selective.length > 0) parts = selective;
        if (parts.length === 0) return undefined;
        return parts.length === 1 ? parts[0] : { op: 'and', parts };
      }
      case 'or': {
        const parts = filter.filters.map((f) => this.plan(f));
        if (parts.length === 0 || parts.some((q) => q === undefined)) return undefined;
        return parts.length === 1 ? parts[0] : { op: 'or', parts: parts as IndexQuery[] };
      }
      case 'equality':
      case 'approx': {
        const attr = this.#schema.attribute(filter.attribute);
        const edge = attr && SPAN_EDGES.get(attr.key);
        if (attr && edge) return this.#timeEdge(attr, edge, filter.value, 'eq');
        if (!attr || !isIndexed(attr)) return undefined;
        const value = this.#evaluator.assertion(attr, filter.value);
        // An assertion that cannot be normalised matches nothing: an impossible index value says so.
        return { op: 'eq', attr: attr.key, value: value ?? '\u0000' };
      }
      case 'ge':
      case 'le': {
        const attr = this.#schema.attribute(filter.attribute);
        const edge = attr && SPAN_EDGES.get(attr.key);
        if (attr && edge) return this.#timeEdge(attr, edge, filter.value, filter.type);
        if (!attr || !isIndexed(attr) || !isOrdered(attr.rules)) return undefined;
        const bound = normalize(attr.rules, filter.value, this.#normalizeDn);
        if (bound === undefined) return undefined;
        return filter.type === 'ge' ? { op: 'range', attr: attr.key, lower: bound } : { op: 'range', attr: attr.key, upper: bound };
      }
      case 'substrings': {
        const attr = this.#schema.attribute(filter.attribute);
        if (!attr || !isIndexed(attr) || filter.initial === undefined) return undefined;
        const rule = (attr.rules.equality ?? '').toLowerCase();
        // Prefix ranges work where the equality form is the substring form (case-folded strings).
        if (!rule.startsWith('caseignore') && !rule.startsWith('caseexact')) return undefined;
        const prefix = substringForm(attr.rules, filter.initial).trimEnd();
        // An empty prefix is a presence test (see 'present').
        return prefix === '' ? undefined : { op: 'prefix', attr: attr.key, prefix };
      }
      case 'present': {
        const attr = this.#schema.attribute(filter.attribute);
        const edge = attr && SPAN_EDGES.get(attr.key);
        if (edge) return { op: 'time', edge };
        // Presence matches a whole kind of entry here, as objectClass does (ILS and TAPI
        // enumerate with (uid=*) and (cn=*)): reading every index row of the attribute to
        // intersect with the scope cost a paged enumeration 6 ms a page at 10,000 entries and
        // grew with the directory; the scope read in entry order, page after page, does not.
        return undefined;
      }
      default:
        return undefined;
    }
  }
}
