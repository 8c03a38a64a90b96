/**
 * Search (RFC 4511 §4.5): the indexable part of the filter runs in SQLite, the whole filter
 * is evaluated on each candidate, and entries are produced one at a time so the protocol
 * layer can stream them with back-pressure and stop at its limits.
 */
import type { ScanColumn, StoredEntry } from '../../store/index.js';
import { mayChange } from '../access.js';
import type { DirectoryContext, Identity } from '../context.js';
import { sttlSeconds } from '../sttl.js';
import { grantTtl } from './modify.js';
import { matchedDn } from '../entries.js';
import { ALL_USER_ATTRIBUTES, encodedValuesOf, parseSelection, selectAttributes, valuesOf, viewOf, type EntryView } from '../entry-view.js';
import { DirectoryError, ResultCode } from '../errors.js';
import type { EvaluationTarget } from '../evaluate.js';
import type { Filter } from '../filter.js';
import type { Name } from '../names.js';
import { SUBSCHEMA_DN } from '../special-entries.js';

/** Search scopes (RFC 4511 §4.5.1.2): the base entry, its children, or its whole subtree. */
export type Scope = 'base' | 'one' | 'sub';

/** A search request, decoded. */
export interface SearchRequest {
  base: string;
  scope: Scope;
  filter: Filter;
  attributes: readonly string[];
  typesOnly: boolean;
  /** Continue after this entry id (paged results). */
  afterId?: number;
}

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
function storedTarget(ctx: DirectoryContext, entry: StoredEntry, read: ScanColumn, name: () => Name): EvaluationTarget {
  const encoded = read === 'encoded' ? entry.encoded : null;
  return {
    values: encoded === null ? (attr) => valuesOf(ctx, entry, attr) : (attr) => encodedValuesOf(ctx, entry, encoded, attr),
    dnValues: () => name().dn.flat(),
  };
}

/** SQLite's plan for the first batch of a search for all user attributes (diagnostics, and tests that prove it uses indexes). */
export function explainSearch(ctx: DirectoryContext, request: Pick<SearchRequest, 'base' | 'scope' | 'filter'>): string[] {
  const base = ctx.names.parse(request.base);
  // As a search for all user attributes (the default) reads.
  return ctx.entries.explain({ read: 'encoded', scope: request.scope, baseNdn: base.ndn, basePath: base.path, index: ctx.evaluator.plan(request.filter), now: ctx.now() });
}

/**
 * Runs a search; throws before the first result when the base does not exist. An ILS
 * `(sttl=N)` term refreshes the matching dynamic entries the identity may change.
 */
export function* search(ctx: DirectoryContext, identity: Identity, special: SpecialEntries, request: SearchRequest): Generator<SearchResult> {
  const base = ctx.names.parse(request.base);
  const sttl = sttlSeconds(ctx.schema, request.filter);
  const refreshTtl = sttl === undefined ? undefined : grantTtl(ctx, sttl);
  const selection = parseSelection(ctx, request.attributes);

  // The root DSE and the subschema entry exist only for base-scope reads of themselves.
  if (base.ndn === '' && request.scope === 'base') {
    const attributes = special.rootDse();
    if (ctx.evaluator.evaluate(request.filter, mapTarget(ctx, attributes)) === true) {
      yield { id: 0, view: selectAttributes(ctx, '', attributes, selection, request.typesOnly) };
    }
    return;
  }
  if ((base.ndn === 'cn=subschema' || base.ndn === 'cn=schema') && !ctx.entries.get(base.ndn)) {
    if (request.scope === 'one') return;
    const attributes = special.subschema();
    if (ctx.evaluator.evaluate(request.filter, mapTarget(ctx, attributes)) === true) {
      yield { id: 0, view: selectAttributes(ctx, SUBSCHEMA_DN, attributes, selection, request.typesOnly) };
    }
    return;
  }

  // A search for all user attributes (the default, and what ILS clients ask for) reads the
  // stored encoding, evaluates the filter on it and sends it: no entry's attributes are
  // parsed or kept. A lookup the index answers exactly skips the evaluation too. Other
  // selections read the attributes, to select from.
  const exact = ctx.evaluator.exact(request.filter);
  const read: ScanColumn = !request.typesOnly && selection.reuseKey === ALL_USER_ATTRIBUTES.reuseKey ? 'encoded' : 'attributes';
  // The store checks the base in the same query (it is not read); a scan that finds nothing
  // tells whether the base was missing, which is then reported before any result.
  const scan = ctx.entries.scan({
    read,
    scope: base.ndn === '' && request.scope === 'one' ? 'one' : request.scope,
    baseNdn: base.ndn,
    basePath: base.path,
    index: ctx.evaluator.plan(request.filter),
    ...(request.afterId === undefined ? {} : { afterId: request.afterId }),
    now: ctx.now(),
    liveBase: base.ndn === '' ? undefined : base.ndn,
  });
  let next: IteratorResult<StoredEntry, boolean>;
  while (!(next = scan.next()).done) {
    const entry = next.value;
    if (!exact) {
      let name: Name | undefined;
      const target = storedTarget(ctx, entry, read, () => (name ??= ctx.names.parse(entry.dn)));
      if (ctx.evaluator.evaluate(request.filter, target) !== true) continue;
    }
    // Read without its attributes, with values a result leaves out (so no encoding to send),
    // and deleted before its attributes were fetched: it has none, not even an object class.
    if (read === 'encoded' && entry.encoded === null && Object.keys(entry.attributes).length === 0) continue;
    if (refreshTtl !== undefined && entry.expiresAt !== null && mayChange(identity, entry)) {
      entry.expiresAt = ctx.now() + refreshTtl * 1000;
      ctx.entries.setExpiry(entry.id, entry.expiresAt);
      ctx.events.emit('modified', entry, entry);
    }
    yield { id: entry.id, view: viewOf(ctx, entry, selection, request.typesOnly) };
  }
  if (!next.value) throw new DirectoryError(ResultCode.noSuchObject, `no such entry: ${request.base}`, matchedDn(ctx, base));
}
