/**
 * Schema-aware filter evaluation (RFC 4511 §4.5.1.7, three-valued) on one entry, and the
 * normal form of assertion values that the index rows hold too. The planner, which turns a
 * filter into an index query, is in plan.ts; what the index holds, in indexing.ts.
 */
import type { Filter } from './filter.js';
import { hasEquality, isOrdered, matchesSubstrings, normalize, substringForm, type MatchingRules } from './matching.js';
import type { AttributeInfo, SchemaAccess } from '../schema/schema-access.js';

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

/** The forms worked out of one value array of one attribute, kept until the next. */
class RecentForms {
  #values: readonly string[] | undefined;
  #attr: AttributeInfo | undefined;
  #forms: readonly string[] = [];

  get(values: readonly string[], attr: AttributeInfo): readonly string[] | undefined {
    return values === this.#values && attr === this.#attr ? this.#forms : undefined;
  }

  set(values: readonly string[], attr: AttributeInfo, forms: readonly string[]): void {
    this.#values = values;
    this.#attr = attr;
    this.#forms = forms;
  }
}

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
  /**
   * The substring forms of an attribute's values, once per frozen value array: an OR of
   * hundreds of substring terms on one long attribute would otherwise fold it once per term.
   */
  #substringForms(attr: AttributeInfo, target: EvaluationTarget): readonly string[] {
    const values = target.values(attr);
    const frozen = Object.isFrozen(values);
    const known = frozen ? this.#substringFormed.get(values) : this.#recentSubstrings.get(values, attr);
    if (known) return known;
    const out = values.map((v) => substringForm(attr.rules, v));
    if (frozen) this.#substringFormed.set(values, out);
    else this.#recentSubstrings.set(values, attr, out);
    return out;
  }

  #normalValues(attr: AttributeInfo, target: EvaluationTarget): readonly string[] {
    const values = target.values(attr);
    // Stored values come frozen and are shared while the entry is unchanged: normalise them
    // once (parsing times and folding case were a large part of evaluating a filter).
    const frozen = Object.isFrozen(values);
    const known = frozen ? this.#normalized.get(values) : this.#recentNormal.get(values, attr);
    if (known) return known;
    const out: string[] = [];
    for (const v of values) {
      const n = attr.key === 'objectclass' ? v.toLowerCase() : normalize(attr.rules, v, this.#normalizeDn);
      if (n !== undefined) out.push(n);
    }
    if (frozen) this.#normalized.set(values, out);
    else this.#recentNormal.set(values, attr, out);
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
  /** Substring forms of frozen value arrays, likewise. */
  readonly #substringFormed = new WeakMap<readonly string[], readonly string[]>();

  /**
   * The forms of the last unfrozen value array worked out: values read for one candidate
   * only (a scan decodes them from its stored encoding), which a WeakMap entry each would
   * only cost (setting one per candidate was a few percent of an enumeration, in the
   * collector's ephemeron work), but which every term of a filter naming the attribute
   * asks for again.
   */
  readonly #recentNormal = new RecentForms();
  readonly #recentSubstrings = new RecentForms();

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
        return this.#substringForms(attr, target).some((v) => matchesSubstrings(v, initial, any, final));
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
}
