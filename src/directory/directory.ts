/**
 * The directory: the DIT over the store, one method per operation. Independent of the wire;
 * src/ldap maps requests onto it and encodes what it returns or throws.
 */
import { EventEmitter } from 'node:events';
import { WriteBatch, type AccountStore, type EntryStore, type StoredEntry } from '../store/index.js';
import type { RawAttribute } from './model/attributes.js';
import type { AttributeCodec } from './model/view.js';
import { anonymous, type DirectoryContext, type DirectoryEvents, type DirectoryTreeOptions, type Identity } from './context.js';
import { FilterEvaluator } from './model/evaluate.js';
import { FilterPlanner } from './model/plan.js';
import type { Filter } from './model/filter.js';
import { Names } from './model/names.js';
import { add, commitAdd, ensureEntry, prepareAdd, type PreparedAdd } from './operations/add.js';
import { bind, bindAccountKey, type LdapVersion } from './operations/bind.js';
import { compare } from './operations/compare.js';
import { applyPasswordChange, preparePasswordChange, type PasswordChange, type PasswordModify } from './operations/password-modify.js';
import { remove } from './operations/delete.js';
import { modify, type Change } from './operations/modify.js';
import { refresh } from './dynamic/refresh.js';
import { refreshMatched, sttlRefreshOf, type SttlRefresh } from './dynamic/sttl.js';
import { explainSearch, search, type SCANNING, type SearchRequest, type SearchResult } from './operations/search.js';
import type { SchemaAccess } from './schema/schema-access.js';
import { rootDse, type ProtocolFeatures } from './root-dse.js';
import { subschemaEntry } from './schema/subschema-entry.js';
import { OperationError, ResultCode } from './errors.js';
import { ExpiryScheduler } from './dynamic/expiry.js';
import { WindowCopier, type CopyProgress } from './conferences/window-copy.js';
import { spanOf } from './conferences/span.js';
import { groupsOf } from './conferences/clashes.js';
import { encodedOf } from './operations/write-steps.js';
import { CsnClock } from './sync/csn.js';
import { ChangeFeed, type ChangeSource } from './sync/feed.js';
import { LiveQuery, type LiveRequest, type LiveValues } from './sync/query.js';
import { LiveCursor, logCovers, logPosition, refreshPhase, requireBase, type RefreshItem, type RefreshOutcome } from './sync/content-sync.js';

/** What a directory is built from. */
export interface DirectoryTreeParts {
  schema: SchemaAccess;
  entries: EntryStore;
  accounts: AccountStore;
  options: DirectoryTreeOptions;
  /** Fixed timestamp of the schema, for cn=Subschema. */
  schemaTime: Date;
  /** Clock, for tests. */
  now?: () => number;
  /** The protocol's encoding of user attributes, stored with each entry written, and its reader. */
  attributeCodec: AttributeCodec;
}

/** Object class for the suffix entry, by its RDN attribute. */
const SUFFIX_CLASSES: Readonly<Record<string, string>> = { o: 'organization', ou: 'organizationalUnit', dc: 'dcObject', c: 'country' };

/** The directory. */
export class DirectoryTree {
  readonly #ctx: DirectoryContext;
  readonly #schemaTime: Date;
  readonly #expiry: ExpiryScheduler;
  readonly #writes: WriteBatch;
  #copier: WindowCopier | undefined;
  #features: ProtocolFeatures = { controls: [], saslMechanisms: [], extensions: [], features: [] };

  constructor(parts: DirectoryTreeParts) {
    const names = new Names(parts.schema, parts.options.suffix);
    const suffix = names.parse(parts.options.suffix);
    if (suffix.ndn === '') throw new Error('the suffix must not be empty');
    const child = (rdn: string): string => names.parse(`${rdn},${parts.options.suffix}`).ndn;
    const evaluator = new FilterEvaluator(parts.schema, names.normalizeDn);
    this.#ctx = {
      schema: parts.schema,
      names,
      evaluator,
      planner: new FilterPlanner(parts.schema, evaluator, names.normalizeDn),
      entries: parts.entries,
      accounts: parts.accounts,
      options: parts.options,
      now: parts.now ?? Date.now,
      events: new EventEmitter<DirectoryEvents>(),
      suffixNdn: suffix.ndn,
      dynamicNdn: child('ou=dynamic'),
      applicationsNdn: child('ou=applications'),
      accountsNdn: child('ou=accounts'),
      attributeCodec: parts.attributeCodec,
      csn: new CsnClock(parts.entries.changes.contextCsn()),
      feed: new ChangeFeed(parts.entries.changes),
    };
    // Before anything reads an entry: a database from before migration 010 gets its rows
    // into the one shape the store reads.
    parts.entries.backfillEncodings((attributes) => encodedOf(this.#ctx, attributes));
    this.#schemaTime = parts.schemaTime;
    this.#writes = new WriteBatch((fn) => parts.entries.transaction(fn), () => parts.entries.inTransaction);
    this.#expiry = new ExpiryScheduler(this.#ctx, (fn) => this.#writes.run(fn));
    this.#createTree();
    parts.entries.backfillSpans(spanOf);
    parts.entries.backfillGroups(groupsOf);
  }

  /**
   * Runs a write (a call of commitAdd, modify, delete, refresh, refreshMatched or
   * applyPasswordChange; expiry's
   * deletions too) in a transaction shared with the writes that arrive at the same time
   * (group commit); resolves once it is committed.
   */
  batched<T>(write: () => T): Promise<T> {
    return this.#writes.run(write);
  }

  /** Change events: added, modified, deleted, expired (emitted by changes.ts, where every entry change passes). */
  get events(): EventEmitter<DirectoryEvents> {
    return this.#ctx.events;
  }

  get options(): DirectoryTreeOptions {
    return this.#ctx.options;
  }

  /** Deletes what expired while stopped and starts deleting entries as they expire. */
  startExpiry(): void {
    this.#expiry.start();
  }

  /**
   * Starts filling the time-clustered copy of the conferences while writes pause (the one
   * writing process only); `onUpToDate` hears each time it caught up after copying, `onError`
   * a copy that failed (tried again later).
   */
  startWindowCopy(onUpToDate: (progress: CopyProgress) => void = () => undefined, onError: (error: Error) => void = () => undefined): void {
    this.#copier ??= new WindowCopier(this.#ctx.entries, this.#writes, onUpToDate, onError);
    this.#copier.start();
  }

  /**
   * The change feed of this process: every committed change of an entry, in order, from the
   * change log. In a worker process, call {@link changesCommitted} when the writing process
   * says the log grew.
   */
  get changes(): ChangeSource {
    return this.#ctx.feed;
  }

  /**
   * Compiles what a live search asks for; `values` says which values of an entry it sends:
   * `replicable` for a content sync (RFC 4533, what replicas follow), `stored` for a
   * persistent search.
   */
  liveQuery(request: LiveRequest, values: LiveValues): LiveQuery {
    return new LiveQuery(this.#ctx, request, values);
  }

  /**
   * The refresh phase of a content sync (RFC 4533 §3.3) from a client at `cookieCsn`
   * (sync/content-sync.ts); yields SCANNING during long scans. `identity` is who asks (anyone
   * may read today).
   */
  syncRefresh(_identity: Identity, query: LiveQuery, cookieCsn: string | undefined, pauseAfterMs: number): Generator<RefreshItem | typeof SCANNING, RefreshOutcome> {
    return refreshPhase(this.#ctx, query, cookieCsn, pauseAfterMs);
  }

  /** Throws noSuchObject when a live search's base is not a live entry (as a search would). */
  requireLiveBase(query: LiveQuery): void {
    requireBase(this.#ctx, query);
  }

  /** A live search's cursor over the change feed, after log position `seq` (whose CSN is `csn`). */
  liveCursor(query: LiveQuery, seq: number, csn: string): LiveCursor {
    return new LiveCursor(this.#ctx, query, seq, csn);
  }

  /** Whether the change log still holds every change after `csn` (a client's cookie), up to now. */
  logCovers(csn: string): boolean {
    return logCovers(this.#ctx, csn, logPosition(this.#ctx).csn);
  }

  /** The change log's position now: the newest change and its CSN. */
  logPosition(): { seq: number; csn: string } {
    return logPosition(this.#ctx);
  }

  /**
   * Forgets the oldest changes of the log beyond `keep` and those older than `maxAgeMs`; a
   * write (the writing process runs it through the batch). Returns how many were dropped.
   */
  purgeChanges(keep: number, maxAgeMs: number): number {
    return this.#ctx.entries.changes.purge(keep, this.#ctx.now() - maxAgeMs);
  }

  /** The writing process committed changes: the feed reads them now. */
  changesCommitted(): void {
    this.#ctx.feed.wake();
  }

  /** Stops the expiry timer, the copier and the feed's polling. */
  close(): void {
    this.#expiry.stop();
    this.#copier?.stop();
    this.#ctx.feed.close();
  }

  /** Declares what the protocol layer implements, for the root DSE. */
  setProtocolFeatures(features: ProtocolFeatures): void {
    this.#features = features;
  }

  /** Creates the suffix and the ILS containers if missing. */
  #createTree(): void {
    const ctx = this.#ctx;
    const suffix = ctx.names.parse(ctx.options.suffix);
    const rdn = suffix.dn[0]![0]!;
    const attr = ctx.schema.attribute(rdn.type);
    const cls = attr ? SUFFIX_CLASSES[attr.key] : undefined;
    if (!attr || !cls) throw new Error(`unsupported suffix '${ctx.options.suffix}': its RDN must be o=, ou=, dc= or c=`);
    ctx.entries.transaction(() => {
      const suffixAttributes: Record<string, string[]> = { objectclass: cls === 'dcObject' ? ['organization', 'dcObject'] : [cls], [attr.key]: [rdn.value] };
      if (cls === 'dcObject') suffixAttributes.o = [rdn.value];
      ensureEntry(ctx, ctx.options.suffix, suffixAttributes);
      for (const ou of ['dynamic', 'applications']) {
        ensureEntry(ctx, `ou=${ou},${ctx.options.suffix}`, { objectclass: ['organizationalUnit'], ou: [ou] });
      }
    });
  }

  /** Authenticates a simple bind. */
  bind(dn: string, password: string, version: LdapVersion, address: string): Promise<Identity> {
    return bind(this.#ctx, dn, password, version, address);
  }

  /** The account a bind name designates, in normal form (for the failed-bind throttle). */
  bindAccountKey(name: string): string {
    return bindAccountKey(this.#ctx, name);
  }

  /** The anonymous identity. */
  anonymous(address: string): Identity {
    return anonymous(address);
  }

  add(identity: Identity, dn: string, attributes: readonly RawAttribute[]): StoredEntry {
    return add(this.#ctx, identity, dn, attributes);
  }

  /** The part of an add that needs no database: throws what {@link add} would for bad input. */
  prepareAdd(identity: Identity, dn: string, attributes: readonly RawAttribute[]): PreparedAdd {
    return prepareAdd(this.#ctx, identity, dn, attributes);
  }

  /** Writes an add prepared by {@link prepareAdd}, here or in another process on the same database. */
  commitAdd(prepared: PreparedAdd): StoredEntry {
    return commitAdd(this.#ctx, prepared);
  }

  modify(identity: Identity, dn: string, changes: readonly Change[]): StoredEntry {
    return modify(this.#ctx, identity, dn, changes);
  }

  delete(identity: Identity, dn: string): StoredEntry {
    return remove(this.#ctx, identity, dn);
  }

  /** Refreshes a dynamic entry (RFC 2589); returns the TTL granted in seconds. */
  refresh(identity: Identity, dn: string, ttl: number): number {
    return refresh(this.#ctx, identity, dn, ttl);
  }

  /**
   * Checks a password modify (RFC 3062) and hashes the new password, where the request
   * arrived; the change is then written through the Writer ({@link applyPasswordChange}).
   * Resolves with the password generated when the request gave none.
   */
  preparePasswordChange(identity: Identity, request: PasswordModify): Promise<{ change: PasswordChange; generated?: string }> {
    return preparePasswordChange(this.#ctx, identity, request);
  }

  /** Writes a prepared password change. A write: run it through the Writer. */
  applyPasswordChange(identity: Identity, change: PasswordChange): void {
    applyPasswordChange(this.#ctx, identity, change);
  }

  compare(dn: string, attribute: string, value: Buffer): boolean {
    return compare(this.#ctx, dn, attribute, value);
  }

  /**
   * The write an ILS `(sttl=N)` term of a search asks for, to make through the Writer before
   * the search (see dynamic/sttl.ts); undefined when there is none.
   *
   * @throws {@link OperationError} for an N the policy refuses, as the search answers.
   */
  sttlRefresh(request: Pick<SearchRequest, 'base' | 'scope' | 'filter' | 'afterId'>): SttlRefresh | undefined {
    return sttlRefreshOf(this.#ctx, request);
  }

  /** Applies an sTTL refresh for `identity`; returns how many entries it refreshed. A write: run it through the Writer. */
  refreshMatched(identity: Identity, refresh: SttlRefresh): number {
    return refreshMatched(this.#ctx, identity, refresh);
  }

  /**
   * Entries matching the request, one at a time (with `pauseAfterMs`, and {@link SCANNING}
   * during long scans). Throws noSuchObject before the first when the base is missing. Reads
   * only: an sTTL term's refresh is {@link sttlRefresh}'s write. `identity` is who asks
   * (anyone may read today).
   */
  search(identity: Identity, request: SearchRequest & { pauseAfterMs: number }): Generator<SearchResult | typeof SCANNING>;
  search(identity: Identity, request: SearchRequest): Generator<SearchResult>;
  search(_identity: Identity, request: SearchRequest): Generator<SearchResult | typeof SCANNING> {
    return search(this.#ctx, { rootDse: () => rootDse(this.#ctx.options, this.#features), subschema: () => subschemaEntry(this.#ctx.schema, this.#schemaTime) }, request);
  }

  /** Whether the index alone answers a filter (see FilterPlanner.exact). */
  isExact(filter: Filter): boolean {
    return this.#ctx.planner.exact(filter);
  }

  /** SQLite's query plan for the stored part of a search. */
  explain(request: Pick<SearchRequest, 'base' | 'scope' | 'filter'>): string[] {
    return explainSearch(this.#ctx, request);
  }

  /** ILS has no rename: refused (RFC 4511 §4.9 unwillingToPerform). */
  modifyDn(dn: string): never {
    throw new OperationError(ResultCode.unwillingToPerform, `${dn}: rename (modifyDN) is not supported, as in ILS; delete the entry and add it under the new name`);
  }
}
