/**
 * Schema-aware filter evaluation (RFC 4511 §4.5.1.7, three-valued), and the planner that
 * turns the indexable part of a filter into an index query for the store.
 */
import type { IndexQuery } from '../store/index.js';
import { generalizedTimeSeconds } from '../sdp/time.js';
import type { Filter } from './filter.js';
import { hasEquality, isOrdered, matchesSubstrings, normalize, substringForm, type MatchingRules } from './matching.js';
import type { AttributeInfo, SchemaAccess } from './schema-access.js';

/** TRUE, FALSE or Undefined. */
export type Truth = boolean | undefined;

/** What evaluation reads of an entry. */
export interface EvaluationTarget {
  /** Values of an attribute (operational ones included), as stored. */
  values(attr: AttributeInfo): readonly string[];
  /** The entry's DN AVAs, for extensible matches with `:dn`. */
  dnValues(): ReadonlyArray<{ type: string; value: string }>;
}

/** The ILS sTTL filter term: a refresh request in minutes, not a condition (always TRUE). */
export const STTL_KEY = 'sttl';

/**
 * Attributes not in entry_index: the blob, too large and opaque; a conference's description,
 * free text that clients search by a word in it (`*word*`), which an equality index cannot
 * answer, and whose index rows, one at a random place per conference, were a quarter of
 * the SQL of every conference add at 1,000,000 entries.
 */
const UNINDEXED = new Set(['conferenceblob', 'generaldescription']);

/**
 * A conference's times, which the span table behind time-window searches holds (its R*Tree
 * answers ranges on either edge): rows of them in entry_index too would cost every add two
 * more random index pages to write, and sync, for nothing.
 */
const SPAN_EDGES: ReadonlyMap<string, 'start' | 'stop'> = new Map([
  ['starttime', 'start'],
  ['stoptime', 'stop'],
]);

/**
 * Whether entry_index holds this attribute's values. Operational attributes are computed
 * from the entry's row (createTimestamp, structuralObjectClass...), never stored, so the
 * index has none of their values: a filter on them is evaluated, not looked up.
 */
export function isIndexed(attr: AttributeInfo): boolean {
  return hasEquality(attr.rules) && !attr.binary && !attr.operational && !UNINDEXED.has(attr.key) && attr.key !== STTL_KEY && !SPAN_EDGES.has(attr.key);
}

const RULES_BY_NAME: Readonly<Record<string, MatchingRules>> = {
  caseexactmatch: { equality: 'caseExactMatch', substr: 'caseExactSubstringsMatch' },
  caseignorematch: { equality: 'caseIgnoreMatch', substr: 'caseIgnoreSubstringsMatch' },
  caseexactia5match: { equality: 'caseExactIA5Match' },
  caseignoreia5match: { equality: 'caseIgnoreIA5Match' },
  '2.5.13.5': { equality: 'caseExactMatch' },
  '2.5.13.2': { equality: 'caseIgnoreMatch' },
  integermatch: { equality: 'integerMatch' },
  '2.5.13.14': { equality: 'integerMatch' },
  octetstringmatch: { equality: 'octetStringMatch' },
  distinguishednamematch: { equality: 'distinguishedNameMatch' },
};

/** Evaluates filters against entries. */
export class FilterEvaluator {
  readonly #schema: SchemaAccess;
  readonly #normalizeDn: (dn: string) => string;

  constructor(schema: SchemaAccess, normalizeDn: (dn: string) => string) {
    this.#schema = schema;
    this.#normalizeDn = normalizeDn;
  }

  /** The normal form of an assertion value for an attribute (objectClass names resolve to their class). */
  assertion(attr: AttributeInfo, value: string): string | undefined {
    if (attr.key === 'objectclass') return this.#schema.objectClass(value)?.key ?? value.toLowerCase();
    return normalize(attr.rules, value, this.#normalizeDn);
  }

  /** The normal forms of an entry's values. */
  #normalValues(attr: AttributeInfo, target: EvaluationTarget): readonly string[] {
    const values = target.values(attr);
    // Stored values come frozen and are shared while the entry is unchanged: normalise them
    // once (parsing times and folding case were a large part of evaluating a filter).
    const frozen = Object.isFrozen(values);
    if (frozen) {
      const known = this.#normalized.get(values);
      if (known) return known;
    }
    const out: string[] = [];
    for (const v of values) {
      const n = attr.key === 'objectclass' ? v.toLowerCase() : normalize(attr.rules, v, this.#normalizeDn);
      if (n !== undefined) out.push(n);
    }
    if (frozen) this.#normalized.set(values, out);
    return out;
  }

  /**
   * A comparison term's attribute and assertion in normal form (undefined when the attribute
   * has no such matching rule or the value cannot be normalised), worked out once per term:
   * a search evaluates its filter on every candidate (58 per time window at 1,000,000).
   */
  #term(filter: Extract<Filter, { type: 'equality' | 'approx' | 'ge' | 'le' }>): { attr: AttributeInfo | undefined; value: string | undefined } {
    let term = this.#terms.get(filter);
    if (term === undefined) {
      const attr = this.#schema.attribute(filter.attribute);
      let value: string | undefined;
      if (attr && (filter.type === 'ge' || filter.type === 'le')) value = isOrdered(attr.rules) ? normalize(attr.rules, filter.value, this.#normalizeDn) : undefined;
      else if (attr) value = hasEquality(attr.rules) ? this.assertion(attr, filter.value) : undefined;
      term = { attr, value };
      this.#terms.set(filter, term);
    }
    return term;
  }

  /** Terms worked out, by the filter node (filters live as long as their request). */
  readonly #terms = new WeakMap<Filter, { attr: AttributeInfo | undefined; value: string | undefined }>();

  /** Normal forms of frozen value arrays (each belongs to one attribute of one stored entry). */
  readonly #normalized = new WeakMap<readonly string[], readonly string[]>();

  evaluate(filter: Filter, target: EvaluationTarget): Truth {
    switch (filter.type) {
      case 'and': {
        let result: Truth = true;
        for (const f of filter.filters) {
          const r = this.evaluate(f, target);
          if (r === false) return false;
          if (r === undefined) result = undefined;
        }
        return result;
      }
      case 'or': {
        let result: Truth = false;
        for (const f of filter.filters) {
          const r = this.evaluate(f, target);
          if (r === true) return true;
          if (r === undefined) result = undefined;
        }
        return result;
      }
      case 'not': {
        const r = this.evaluate(filter.filter, target);
        return r === undefined ? undefined : !r;
      }
      case 'present': {
        const attr = this.#schema.attribute(filter.attribute);
        if (!attr) return false;
        if (attr.key === STTL_KEY) return true;
        return target.values(attr).length > 0;
      }
      case 'equality':
      case 'approx': {
        const { attr, value: wanted } = this.#term(filter);
        if (!attr) return undefined;
        if (attr.key === STTL_KEY) return true;
        if (wanted === undefined) return undefined;
        return this.#normalValues(attr, target).includes(wanted);
      }
      case 'ge':
      case 'le': {
        const { attr, value: bound } = this.#term(filter);
        if (!attr || bound === undefined) return undefined;
        const values = this.#normalValues(attr, target);
        if (filter.type === 'ge') {
          for (const v of values) if (v >= bound) return true;
        } else {
          for (const v of values) if (v <= bound) return true;
        }
        return false;
      }
      case 'substrings': {
        const attr = this.#schema.attribute(filter.attribute);
        if (!attr || !hasEquality(attr.rules) || attr.binary) return undefined;
        const form = (s: string): string => substringForm(attr.rules, s);
        const initial = filter.initial === undefined ? undefined : form(filter.initial);
        const final = filter.final === undefined ? undefined : form(filter.final);
        const any = filter.any.map(form);
        return target.values(attr).some((v) => matchesSubstrings(form(v), initial, any, final));
      }
      case 'extensible':
        return this.#extensible(filter, target);
    }
  }

  #extensible(filter: Extract<Filter, { type: 'extensible' }>, target: EvaluationTarget): Truth {
    const attr = filter.attribute === undefined ? undefined : this.#schema.attribute(filter.attribute);
    if (filter.attribute !== undefined && !attr) return undefined;
    const rules = filter.rule === undefined ? attr?.rules : RULES_BY_NAME[filter.rule.toLowerCase()];
    if (!rules) return undefined;
    const wanted = normalize(rules, filter.value, this.#normalizeDn);
    if (wanted === undefined) return undefined;
    const matches = (values: readonly string[]): boolean => values.some((v) => normalize(rules, v, this.#normalizeDn) === wanted);
    if (attr && matches(target.values(attr))) return true;
    if (filter.dnAttributes) {
      const avas = target.dnValues().filter((a) => !attr || this.#schema.attribute(a.type)?.key === attr.key);
      if (matches(avas.map((a) => a.value))) return true;
    }
    return false;
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
    if (this.assertion(attr, value) === undefined) return type === 'eq' ? { op: 'eq', attr: attr.key, value: '\u0000' } : undefined;
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
    return attr !== undefined && isIndexed(attr) && this.assertion(attr, filter.value) !== undefined;
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
        const value = this.assertion(attr, filter.value);
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
        return prefix === '' ? { op: 'present', attr: attr.key } : { op: 'prefix', attr: attr.key, prefix };
      }
      case 'present': {
        const attr = this.#schema.attribute(filter.attribute);
        const edge = attr && SPAN_EDGES.get(attr.key);
        if (edge) return { op: 'time', edge };
        if (!attr || !isIndexed(attr) || attr.key === 'objectclass') return undefined;
        return { op: 'present', attr: attr.key };
      }
      default:
        return undefined;
    }
  }
}
