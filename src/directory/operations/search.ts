/**
 * Search (RFC 4511 §4.5): the indexable part of the filter runs in SQLite, the whole filter
 * is evaluated on each candidate, and entries are produced one at a time so the protocol
 * layer can stream them with back-pressure and stop at its limits.
 */
import type { ScanColumn, StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { matchedDn } from './live.js';
import { ALL_USER_ATTRIBUTES, encodedValuesOf, parseSelection, selectAttributes, valuesOf, viewOf } from '../model/entry-view.js';
import type { EntryView } from '../model/view.js';
import { OperationError, ResultCode } from '../errors.js';
import type { EvaluationTarget } from '../model/evaluate.js';
import type { AttributeInfo } from '../schema/schema-access.js';
import type { Filter } from '../model/filter.js';
import type { Name } from '../model/names.js';
import { SUBSCHEMA_DN } from '../schema/subschema-entry.js';

/** Search scopes (RFC 4511 §4.5.1.2): the base entry, its children, or its whole subtree. */
export type SearchScope = 'base' | 'one' | 'sub';

/** A search request, decoded. */
export interface SearchRequest {
  base: string;
  scope: SearchScope;
  filter: Filter;
  attributes: readonly string[];
  typesOnly: boolean;
  /** Continue after this entry id (paged results). */
  afterId?: number | undefined;
  /** How many matches the caller reads at most (a page and one more), so that the store reads no more rows than that first. */
  wanted?: number | undefined;
  /**
   * While reading candidates that do not match, yield {@link SCANNING} once this many
   * milliseconds passed since the last thing yielded, so that the caller can stop a long
   * scan (a time limit, an abandon) and let other work run.
   */
  pauseAfterMs?: number;
}

/** What a search with {@link SearchRequest.pauseAfterMs} yields between results while it scans. */
export const SCANNING: unique symbol = Symbol('scanning');

/** One result: the entry view and its id (for paging cookies). */
export interface SearchResult {
  id: number;
  view: EntryView;
}

/** The special entries and how to read them. */
export interface SpecialEntries {
  rootDse(): Record<string, string[]>;
  subschema(): Record<string, string[]>;
}

function mapTarget(ctx: DirectoryContext, attributes: Record<string, string[]>): EvaluationTarget {
  return { values: (attr) => attributes[attr.key] ?? [], dnValues: () => [] };
}

/**
 * A stored entry to evaluate a filter on: its attributes, or when the scan read its stored
 * encoding instead of them, the values read from that.
 */
export function storedTarget(ctx: DirectoryContext, entry: StoredEntry, read: ScanColumn, name: () => Name): EvaluationTarget {
  const encoded = read === 'encoded' ? entry.encoded : null;
  const values = encoded === null ? (attr: AttributeInfo) => valuesOf(ctx, entry, attr) : (attr: AttributeInfo) => encodedValuesOf(ctx, entry, encoded, attr);
  // Read (decoded) once per attribute, so that the evaluator normalises them once, however
  // many terms of the filter name the attribute: stored arrays are frozen and shared, and
  // the evaluator keeps their forms; computed ones are frozen here alike. Values decoded
  // from the encoding belong to this candidate alone: the evaluator keeps their forms only
  // while it evaluates it (freezing a copy of each was a WeakMap entry per candidate).
  let read1: Map<string, readonly string[]> | undefined;
  return {
    values: (attr) => {
      read1 ??= new Map();
      let known = read1.get(attr.key);
      if (known === undefined) {
        const read = values(attr);
        read1.set(attr.key, (known = encoded !== null || Object.isFrozen(read) ? read : Object.freeze([...read])));
      }
      return known;
    },
    dnValues: () => name().dn.flat(),
  };
}

/** What a search for all user attributes (the default) reads of each entry: its encoding, when entries are stored with one. */

/**
 * A NetMeeting class search as the search it stands for. NetMeeting refreshes its person and
 * finds users with a base-scope search whose base is `objectClass=rtPerson` ([MS-TAIL]
 * §3.5.11, §4.2.2, §4.3.2) and expects the matching people back: such a base names the
 * entries of that class in `ou=Dynamic`, so the search is made one level below `ou=Dynamic`
 * (a subtree search stays a subtree search) with `(objectClass=<class>)` added to its filter.
 * Other requests are returned as they are.
 */
export function resolveClassBase<R extends Pick<SearchRequest, 'base' | 'scope' | 'filter'>>(ctx: DirectoryContext, request: R): R {
  const cls = ctx.names.ilsClassBase(request.base);
  if (cls === undefined) return request;
  return {
    ...request,
    base: `ou=Dynamic,${ctx.options.suffix}`,
    scope: request.scope === 'sub' ? 'sub' : 'one',
    filter: { type: 'and', filters: [{ type: 'equality', attribute: 'objectClass', value: cls }, request.filter] },
  };
}

/** SQLite's plan for the first batch of a search for all user attributes (diagnostics, and tests that prove it uses indexes). */
export function explainSearch(ctx: DirectoryContext, asked: Pick<SearchRequest, 'base' | 'scope' | 'filter'>): string[] {
  const request = resolveClassBase(ctx, asked);
  const base = ctx.names.parse(request.base);
  return ctx.entries.explain({ read: 'encoded', scope: request.scope, baseNdn: base.ndn, basePath: base.path, index: ctx.planner.plan(request.filter), now: ctx.now() });
}

/** Where a search looks: a stored base, or one of the entries no one stores. */
type Target = 'root DSE' | 'subschema' | 'stored';

/**
 * Whether a search reads the root DSE or the subschema entry, which exist only for base-scope
 * reads of themselves (and a one-level search below the subschema, which finds nothing).
 */
function targetOf(ctx: DirectoryContext, base: Name, scope: SearchScope): Target {
  if (base.ndn === '' && scope === 'base') return 'root DSE';
  if ((base.ndn === 'cn=subschema' || base.ndn === 'cn=schema') && !ctx.entries.get(base.ndn)) return 'subschema';
  return 'stored';
}

/**
 * The stored entries a search matches, in id order, read as `read` says: the indexable part
 * of the filter runs in SQLite and the whole filter is evaluated on each candidate. Returns
 * false, having yielded nothing, when the base is not a live entry. Read-only: searches and
 * the sTTL refresh (dynamic/sttl.ts), which writes what it matches, both find entries here.
 */
export function* matching(ctx: DirectoryContext, base: Name, request: Pick<SearchRequest, 'scope' | 'filter' | 'afterId' | 'wanted' | 'pauseAfterMs'>, read: ScanColumn): Generator<StoredEntry | typeof SCANNING, boolean> {
  // A lookup the index answers exactly skips the evaluation.
  const exact = ctx.planner.exact(request.filter);
  // The store checks the base in the same query (it is not read); a scan that finds nothing
  // tells whether the base was missing.
  const scan = ctx.entries.scan({
    read,
    scope: base.ndn === '' && request.scope === 'one' ? 'one' : request.scope,
    baseNdn: base.ndn,
    basePath: base.path,
    index: ctx.planner.plan(request.filter),
    afterId: request.afterId,
    wanted: request.wanted,
    now: ctx.now(),
    liveBase: base.ndn === '' ? undefined : base.ndn,
  });
  const pauseAfter = request.pauseAfterMs;
  let yielded = pauseAfter === undefined ? 0 : performance.now();
  let next: IteratorResult<StoredEntry, boolean>;
  while (!(next = scan.next()).done) {
    const entry = next.value;
    if (!exact) {
      let name: Name | undefined;
      const target = storedTarget(ctx, entry, read, () => (name ??= ctx.names.parse(entry.dn)));
      if (ctx.evaluator.evaluate(request.filter, target) !== true) {
        if (pauseAfter !== undefined && performance.now() - yielded >= pauseAfter) {
          yield SCANNING;
          yielded = performance.now();
        }
        continue;
      }
    }
    // Read without its attributes, with values a result leaves out (so no encoding to send),
    // and deleted before its attributes were fetched: it has none, not even an object class.
    if (read === 'encoded' && entry.encoded === null && Object.keys(entry.attributes).length === 0) continue;
    yield entry;
    if (pauseAfter !== undefined) yielded = performance.now();
  }
  return next.value;
}

/**
 * The stored entries a search matches (the root DSE and the subschema entry are not stored),
 * read as a search for all user attributes reads them; nothing when the base is missing.
 */
export function* matchingStored(ctx: DirectoryContext, asked: Pick<SearchRequest, 'base' | 'scope' | 'filter' | 'afterId'>): Generator<StoredEntry> {
  const request = resolveClassBase(ctx, asked);
  const base = ctx.names.parse(request.base);
  if (targetOf(ctx, base, request.scope) !== 'stored') return;
  // Asked without pauseAfterMs, matching yields nothing but entries.
  yield* matching(ctx, base, request, 'encoded') as Generator<StoredEntry, boolean>;
}

/**
 * Runs a search; throws before the first result when the base does not exist. Read-only: the
 * refresh an ILS `(sttl=N)` term asks for is a write of its own (dynamic/sttl.ts), made
 * before the search.
 */
export function* search(ctx: DirectoryContext, special: SpecialEntries, asked: SearchRequest): Generator<SearchResult | typeof SCANNING> {
  const request = resolveClassBase(ctx, asked);
  const base = ctx.names.parse(request.base);
  const selection = parseSelection(ctx, request.attributes);

  const target = targetOf(ctx, base, request.scope);
  if (target !== 'stored') {
    if (target === 'subschema' && request.scope === 'one') return;
    const [dn, attributes] = target === 'root DSE' ? ['', special.rootDse()] : [SUBSCHEMA_DN, special.subschema()];
    if (ctx.evaluator.evaluate(request.filter, mapTarget(ctx, attributes)) === true) {
      yield { id: 0, view: selectAttributes(ctx, dn, attributes, selection, request.typesOnly) };
    }
    return;
  }

  // A search for all user attributes (the default, and what ILS clients ask for) reads the
  // stored encoding, evaluates the filter on it and sends it: no entry's attributes are
  // parsed or kept. Other selections read the attributes, to select from.
  // So does a search that names attributes (none computed): it sends their bytes, picked out
  // of the encoding.
  const read: ScanColumn = !request.typesOnly && (selection.reuseKey === ALL_USER_ATTRIBUTES.reuseKey || selection.fromEncoding) ? 'encoded' : 'attributes';
  const entries = matching(ctx, base, request, read);
  let next: IteratorResult<StoredEntry | typeof SCANNING, boolean>;
  while (!(next = entries.next()).done) yield next.value === SCANNING ? SCANNING : { id: next.value.id, view: viewOf(ctx, next.value, selection, request.typesOnly) };
  if (!next.value) throw new OperationError(ResultCode.noSuchObject, `no such entry: ${request.base}`, matchedDn(ctx, base));
}
