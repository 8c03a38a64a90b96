/**
 * RFC 4533 content synchronisation, the provider's side, independent of the wire (what
 * slapd's syncprov overlay does over any backend): the refresh phase that brings a client
 * from its cookie to now, and the persist phase's cursor over the change feed. src/ldap
 * encodes what these yield as Sync State, Sync Info and Sync Done controls.
 *
 * The refresh phase takes its position in the log first and reads entries after: a change
 * committed while it reads is then sent again in the persist phase (or, for refreshOnly, in
 * the next poll from the cookie it ends with), never lost; sending an entry twice is safe.
 */
import type { ChangeRow } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { OperationError, ResultCode } from '../errors.js';
import { matchedDn } from '../operations/live.js';
import { matching, SCANNING } from '../operations/search.js';
import type { EntryView } from '../model/view.js';
import type { ChangeRecord } from './feed.js';
import { currentEntry, type LiveChange, type LiveQuery } from './query.js';

/** How many entryUUIDs one syncIdSet carries at most. */
export const ID_SET_SIZE = 1000;

/** What the refresh phase sends. */
export type RefreshItem =
  /** An entry: `add` with its attributes, or `present` (unchanged since the cookie: its name only). */
  | { type: 'entry'; state: 'add' | 'present'; uuid: string; view: EntryView }
  /** Entries deleted (or gone out of the search) since the cookie. */
  | { type: 'deleted'; uuids: string[] };

/** Where the refresh phase leaves the client. */
export interface RefreshOutcome {
  /** The CSN the client has seen up to (its new cookie's), and the log position after which the persist phase continues. */
  csn: string;
  seq: number;
  /**
   * true: the refresh sent what changed since the cookie and what was deleted (refreshDeletes,
   * the client keeps the rest); false: it sent every entry the search matches (a present
   * phase: the client deletes what it was not sent).
   */
  refreshDeletes: boolean;
}

/** The log's position now: the newest change and its CSN (the migration's when nothing changed since). */
export function logPosition(ctx: DirectoryContext): { seq: number; csn: string } {
  return ctx.entries.changes.newest() ?? { seq: 0, csn: ctx.entries.changes.contextCsn() };
}

/**
 * Whether the log still holds every change after `csn` up to `upto`: the cookie is neither
 * older than what the log forgot nor newer than the directory (a cookie from another
 * database).
 */
export function logCovers(ctx: DirectoryContext, csn: string, upto: string): boolean {
  return csn >= ctx.entries.changes.purgedCsn() && csn <= upto;
}

/** Throws noSuchObject when the search's base is not a live entry. */
export function requireBase(ctx: DirectoryContext, query: LiveQuery): void {
  if (query.base.ndn !== '' && !ctx.entries.isLive(query.base.ndn, ctx.now())) {
    throw new OperationError(ResultCode.noSuchObject, `no such entry: ${query.request.base}`, matchedDn(ctx, query.base));
  }
}

/**
 * The refresh phase for a client whose cookie says it has seen up to `cookieCsn` (undefined:
 * nothing). With the log covering the cookie, only what changed is sent, as adds, and what
 * was deleted, as entryUUIDs (refreshDeletes); otherwise every matching entry is, unchanged
 * ones as `present` (a cookie the log does not cover) or all as `add` (no cookie). Never a
 * partial present set: a present phase that cannot finish fails (size or time limit), and
 * the client deletes nothing. Throws noSuchObject before anything when the base is missing.
 */
export function* refreshPhase(ctx: DirectoryContext, query: LiveQuery, cookieCsn: string | undefined, pauseAfterMs: number): Generator<RefreshItem | typeof SCANNING, RefreshOutcome> {
  const start = logPosition(ctx);
  requireBase(ctx, query);
  if (cookieCsn !== undefined && logCovers(ctx, cookieCsn, start.csn)) {
    yield* changedSince(ctx, query, ctx.entries.changes.seqOfCsn(cookieCsn), start.seq);
    return { ...start, refreshDeletes: true };
  }
  const entries = matching(ctx, query.base, { scope: query.request.scope, filter: query.request.filter, pauseAfterMs }, 'attributes');
  for (let next = entries.next(); !next.done; next = entries.next()) {
    if (next.value === SCANNING) {
      yield SCANNING;
      continue;
    }
    const entry = next.value;
    const unchanged = cookieCsn !== undefined && entry.csn !== '' && entry.csn <= cookieCsn;
    yield unchanged ? { type: 'entry', state: 'present', uuid: entry.uuid, view: { dn: entry.dn, attributes: [] } } : { type: 'entry', state: 'add', uuid: entry.uuid, view: query.view(entry) };
  }
  return { ...start, refreshDeletes: false };
}

/** The entries changed after log position `from` up to `to` that the query matches now, and the entryUUIDs of the rest. */
function* changedSince(ctx: DirectoryContext, query: LiveQuery, from: number, to: number): Generator<RefreshItem> {
  // The last change of each entry decides: it is there now (send it) or not (delete it). Kept
  // without the attributes it recorded: a log's worth of them need not be in memory at once.
  const last = new Map<string, ChangeRow>();
  for (let seq = from; seq < to; ) {
    const rows = ctx.entries.changes.since(seq, 1000);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.seq > to) break;
      last.delete(row.uuid);
      last.set(row.uuid, { ...row, before: null });
    }
    seq = rows[rows.length - 1]!.seq;
  }
  let deleted: string[] = [];
  for (const row of last.values()) {
    const record: ChangeRecord = { ...row, memo: new Map() };
    const entry = currentEntry(ctx, record);
    if (entry !== undefined && query.matches(entry)) {
      yield { type: 'entry', state: 'add', uuid: entry.uuid, view: query.view(entry) };
      continue;
    }
    // Gone, expired, or no longer matching: the client may have it. (An entry it never had
    // costs it a lookup: consumers ignore deletes of unknown entries.)
    if (!query.inScope(row.path) && !(entry !== undefined && query.inScope(entry.path))) continue;
    deleted.push(row.uuid);
    if (deleted.length === ID_SET_SIZE) {
      yield { type: 'deleted', uuids: deleted };
      deleted = [];
    }
  }
  if (deleted.length > 0) yield { type: 'deleted', uuids: deleted };
}

/**
 * A live search's position in the change feed: reads the changes after it and says which
 * concern the search, as what (an entry that starts matching is an add, one that stops is a
 * delete). Holds nothing but its position; the feed keeps the changes it has not read for it
 * and the others, within the feed's bound (its `track`), until {@link close}.
 */
export class LiveCursor {
  readonly #ctx: DirectoryContext;
  readonly #query: LiveQuery;
  #seq: number;
  #csn: string;
  readonly #untrack: () => void;
  /** The limit of the read in progress, for {@link #make}. */
  #limit = 256;
  /** Reads and judges the changes past the position: made once, not a closure per read (a thousand searches read each commit). */
  readonly #make = (): SharedRead | 'expired' => judge(this.#ctx.feed.since(this.#seq, this.#limit), this.#query);

  /** `seq` and `csn`: the log position the search has seen up to, and its CSN. */
  constructor(ctx: DirectoryContext, query: LiveQuery, seq: number, csn: string) {
    this.#ctx = ctx;
    this.#query = query;
    this.#seq = seq;
    this.#csn = csn;
    this.#untrack = ctx.feed.track(this);
  }

  /** The search is over: the feed need not keep changes for it any more. */
  close(): void {
    this.#untrack();
  }

  /** The log position the search has read up to. */
  get seq(): number {
    return this.#seq;
  }

  /** The CSN of the last change the search has read (its cookie's, once it has told the client). */
  get csn(): string {
    return this.#csn;
  }

  /** How many changes the search has not read yet. */
  get behind(): number {
    return Math.max(0, this.#ctx.feed.head() - this.#seq);
  }

  /**
   * The next changes that concern the search (reading at most `limit` changes of the log),
   * or 'expired' when the log forgot some it had not read.
   */
  read(limit = 256): LiveChange[] | 'expired' {
    // Shared by the searches of the same question at the same position (the array is never
    // changed by its readers), so each reads the feed and judges each change once for all.
    this.#limit = limit;
    let read = this.#ctx.feed.shared(this.#query.matchKey, this.#seq, this.#make);
    // Made with the first reader's limit: a reader asking for fewer reads its own.
    if (read !== 'expired' && read.count > limit) read = this.#make();
    if (read === 'expired') return 'expired';
    if (read.last !== undefined) {
      this.#seq = read.last.seq;
      this.#csn = read.last.csn;
    }
    return read.changes;
  }
}

/** Changes read from one position, as one question judges them, and the last change read. */
interface SharedRead {
  readonly changes: LiveChange[];
  readonly count: number;
  readonly last: ChangeRecord | undefined;
}

/** What `query` makes of `records` (the changes that concern it), with how many were read and the last. */
function judge(records: ChangeRecord[] | 'expired', query: LiveQuery): SharedRead | 'expired' {
  if (records === 'expired') return 'expired';
  const changes: LiveChange[] = [];
  for (const record of records) {
    const change = query.changeOf(record);
    if (change !== null) changes.push(change);
  }
  return { changes, count: records.length, last: records.at(-1) };
}
