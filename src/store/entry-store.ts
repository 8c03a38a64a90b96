/**
 * The entry store: the entries table with its writes (insert, update, delete, refresh), each
 * keeping the index tables in step, its lookups by name, and the scans, deadline queries and
 * index upkeep of the modules beside it, behind one object the directory holds.
 */
import { ChangeLog } from './change-log.js';
import { AttributeCache, type AttributeEncoding, type StoredAttributes } from './attribute-cache.js';
import { backfillEncodings } from './backfill.js';
import type { GroupRange } from './conference-groups.js';
import { writeTransaction, type SqliteDatabase } from './database.js';
import { Deadlines } from './deadlines.js';
import { LIVE, type EntryHead, type IndexRow, type Span, type StoredEntry } from './entry.js';
import { EntryIndexes } from './entry-indexes.js';
import type { ScanRequest } from './query.js';
import { columns, fromRow, type Row } from './rows.js';
import { EntryScans } from './scans.js';

/** The entries table. */
export class EntryStore {
  readonly #db: SqliteDatabase;
  readonly #get;
  readonly #head;
  readonly #byUuid;
  readonly #insert;
  readonly #update;
  readonly #delete;
  readonly #hasChildren;
  readonly #setExpiry;
  readonly #cache: AttributeCache;
  readonly #encoding: AttributeEncoding;
  readonly #indexes: EntryIndexes;
  readonly #scans: EntryScans;
  readonly #deadlines: Deadlines;
  /** The change log, written in the transactions of the changes it records. */
  readonly changes: ChangeLog;

  /**
   * Every row keeps its entry's attributes once, in the protocol's encoding (`encoding`): a
   * JSON copy beside it doubled the rows (3.7 GB at 1,000,000 conferences, most of it read
   * from disk), and a search for all user attributes sends the encoding as it is.
   */
  constructor(db: SqliteDatabase, encoding: AttributeEncoding) {
    this.#db = db;
    this.#encoding = encoding;
    this.#cache = new AttributeCache(encoding.decode);
    this.#get = db.prepare<[string], Row>(`SELECT ${columns('attributes')} FROM entries WHERE ndn = ?`).raw(true);
    this.#head = db.prepare<[string], EntryHead>('SELECT id, dn, path, uuid, creator, expires_at AS expiresAt, ends_at AS endsAt FROM entries WHERE ndn = ?');
    this.#byUuid = db.prepare<[string], Row>(`SELECT ${columns('attributes')} FROM entries WHERE uuid = ?`).raw(true);
    this.#insert = db.prepare(
      `INSERT INTO entries (dn, ndn, parent, path, creator, modifier, created_at, modified_at, uuid, expires_at, ends_at, encoded, sendable, csn)
       VALUES (@dn, @ndn, @parent, @path, @creator, @modifier, @createdAt, @modifiedAt, @uuid, @expiresAt, @endsAt, @encoded, @sendable, @csn)`,
    );
    this.#update = db.prepare(
      'UPDATE entries SET modifier = @modifier, modified_at = @modifiedAt, expires_at = @expiresAt, ends_at = @endsAt, encoded = @encoded, sendable = @sendable, csn = @csn WHERE id = @id',
    );
    this.#delete = db.prepare('DELETE FROM entries WHERE id = ?');
    this.#setExpiry = db.prepare('UPDATE entries SET expires_at = ?, csn = ? WHERE id = ?');
    this.#hasChildren = db.prepare<[string, number, number], { one: number }>(`SELECT 1 AS one FROM entries WHERE parent = ? AND ${LIVE} LIMIT 1`);
    this.#indexes = new EntryIndexes(db, this.#cache);
    this.#scans = new EntryScans(db, this.#cache, this.#indexes.groups);
    this.#deadlines = new Deadlines(db, this.#cache);
    this.changes = new ChangeLog(db, encoding);
  }

  /** Whether a transaction is open on the database. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /** Runs `fn` in one write transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return writeTransaction(this.#db, fn);
  }

  /** The entry with this normalised DN, expired or not. */
  get(ndn: string): StoredEntry | undefined {
    const row = this.#get.get(ndn);
    return row ? fromRow(row, this.#cache) : undefined;
  }

  /** The head of the entry with this normalised DN, expired or not: {@link EntryHead}. */
  head(ndn: string): EntryHead | undefined {
    return this.#head.get(ndn);
  }

  /** The entry with this entryUUID, expired or not. */
  byUuid(uuid: string): StoredEntry | undefined {
    const row = this.#byUuid.get(uuid);
    return row ? fromRow(row, this.#cache) : undefined;
  }

  /** Whether a live entry has this normalised DN (without reading it). */
  isLive(ndn: string, now: number): boolean {
    return this.#scans.isLive(ndn, now);
  }

  /** Whether any live entry sits directly below `ndn`. */
  hasChildren(ndn: string, now: number): boolean {
    return this.#hasChildren.get(ndn, now, now) !== undefined;
  }

  /**
   * Inserts an entry with its index rows (and a conference's time span and multicast groups);
   * returns its id. Its attributes are stored as its `encoded`, or when that is null (values
   * a result leaves out), as the store's encoding of them all.
   */
  insert(entry: Omit<StoredEntry, 'id'>, index: readonly IndexRow[], span?: Span, groups: readonly GroupRange[] = []): number {
    const sendable = entry.encoded === null ? 0 : 1;
    const id = Number(this.#insert.run({ ...entry, encoded: entry.encoded ?? this.#encoding.encode(entry.attributes), sendable }).lastInsertRowid);
    this.#indexes.add(id, entry, index, span, groups);
    return id;
  }

  /**
   * Replaces an entry's attributes (stored as in {@link insert}), index rows, time span and
   * multicast groups, and its entryCSN (`entry.csn`: the change's, taken before the write).
   * `same`: what the caller knows is unchanged ({@link EntryIndexes.replace}).
   */
  update(entry: StoredEntry, index: readonly IndexRow[], span?: Span, groups: readonly GroupRange[] = [], same?: { span: boolean; groups: boolean }): void {
    const sendable = entry.encoded === null ? 0 : 1;
    this.#update.run({ id: entry.id, modifier: entry.modifier, modifiedAt: entry.modifiedAt, expiresAt: entry.expiresAt, endsAt: entry.endsAt, encoded: entry.encoded ?? this.#encoding.encode(entry.attributes), sendable, csn: entry.csn });
    this.#indexes.replace(entry.id, entry, index, span, groups, same);
  }

  /** Sets when an entry expires, and its entryCSN (a refresh: attributes and index unchanged). */
  setExpiry(id: number, expiresAt: number, csn: string): void {
    this.#setExpiry.run(expiresAt, csn, id);
    this.#indexes.setExpiry(id, expiresAt);
  }

  /** Deletes an entry (its index rows go with it). */
  delete(id: number): void {
    this.#delete.run(id);
    this.#cache.forget(id);
  }

  /** The earliest moment any entry expires or ends (ms), if any does. */
  nextDeadline(): number | undefined {
    return this.#deadlines.next();
  }

  /**
   * Deletes, in one transaction, every entry whose TTL or conference end has passed at `now`,
   * with whatever sat below it (unreachable once its parent is gone). Returns what was deleted.
   */
  deleteDue(now: number): StoredEntry[] {
    return this.transaction(() => {
      const gone = this.#deadlines.due(now);
      for (const id of gone.keys()) this.delete(id);
      return [...gone.values()];
    });
  }

  /** Deletes an entry and every entry below it, expired or not; returns what was deleted, the entry first. */
  deleteTree(entry: StoredEntry): StoredEntry[] {
    return this.transaction(() => {
      const gone = [entry, ...this.#deadlines.below(entry)];
      for (const e of gone) this.delete(e.id);
      return gone;
    });
  }

  /** Live entries in scope that the index query admits, in id order: {@link EntryScans.scan}. */
  scan(request: ScanRequest): Generator<StoredEntry, boolean> {
    return this.#scans.scan(request);
  }

  /** Live conferences that may clash with a group of `groups` during `span`: {@link EntryScans.usingGroups}. */
  usingGroups(groups: readonly GroupRange[], span: Span, now: number): Generator<StoredEntry> {
    return this.#scans.usingGroups(groups, span, now);
  }

  /** SQLite's plan for a scan, so tests can prove a search uses the indexes. */
  explain(request: ScanRequest): string[] {
    return this.#scans.explain(request);
  }

  /** Copies the next entries into the time-clustered table: {@link EntryIndexes.copyWindows}. */
  copyWindows(limit: number, spanOf: (attributes: StoredAttributes) => Span | undefined): number {
    return this.#indexes.copyWindows(limit, spanOf);
  }

  /**
   * Brings the rows of a database from before migration 010 to the one row shape
   * ({@link backfillEncodings}); `resultOf` is the encoding a search result gives of an
   * entry's attributes, or null when it leaves values out (as {@link insert} takes it). Runs
   * before anything reads an entry.
   */
  backfillEncodings(resultOf: (attributes: StoredAttributes) => Buffer | null): void {
    backfillEncodings(this.#db, (attributes) => {
      const result = resultOf(attributes);
      return result === null ? { encoded: this.#encoding.encode(attributes), sendable: false } : { encoded: result, sendable: true };
    });
  }

  /** Fills the span table of a database from before migration 004: {@link EntryIndexes.backfillSpans}. */
  backfillSpans(spanOf: (attributes: StoredAttributes) => Span | undefined): void {
    this.#indexes.backfillSpans(spanOf);
  }

  /** Fills the multicast groups table of a database from before migration 005: {@link EntryIndexes.backfillGroups}. */
  backfillGroups(groupsOf: (attributes: StoredAttributes) => readonly GroupRange[]): void {
    this.#indexes.backfillGroups(groupsOf);
  }
}
