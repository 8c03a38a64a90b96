/**
 * The entry store: the entries table with its writes (insert, update, delete, refresh), each
 * keeping the index tables in step, its lookups by name, and the scans, deadline queries and
 * index upkeep of the modules beside it, behind one object the directory holds.
 */
import { AttributeCache, type AttributeDecoder, type StoredAttributes } from './attribute-cache.js';
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
  readonly #insert;
  readonly #update;
  readonly #delete;
  readonly #hasChildren;
  readonly #setExpiry;
  readonly #cache: AttributeCache;
  /** Whether entries with an encoding are stored without their JSON (the store can read the encoding). */
  readonly #encodingOnly: boolean;
  readonly #indexes: EntryIndexes;
  readonly #scans: EntryScans;
  readonly #deadlines: Deadlines;

  /**
   * `decode` reads attributes back from an entry's encoding: given it, an entry written with
   * an encoding is stored without its JSON, so each entry holds its attributes once (the two
   * copies doubled the rows: 3.7 GB at 1,000,000 conferences, most of it read from disk).
   * Without it, the JSON is always stored. Either store reads both kinds of row.
   */
  constructor(db: SqliteDatabase, decode?: AttributeDecoder) {
    this.#db = db;
    this.#cache = new AttributeCache(undefined, decode);
    this.#encodingOnly = decode !== undefined;
    this.#get = db.prepare<[string], Row>(`SELECT ${columns('attributes')} FROM entries WHERE ndn = ?`).raw(true);
    this.#head = db.prepare<[string], EntryHead>('SELECT id, dn, creator, expires_at AS expiresAt, ends_at AS endsAt FROM entries WHERE ndn = ?');
    this.#insert = db.prepare(
      `INSERT INTO entries (dn, ndn, parent, path, attributes, creator, modifier, created_at, modified_at, uuid, expires_at, ends_at, encoded)
       VALUES (@dn, @ndn, @parent, @path, @attributes, @creator, @modifier, @createdAt, @modifiedAt, @uuid, @expiresAt, @endsAt, @encoded)`,
    );
    this.#update = db.prepare(
      'UPDATE entries SET attributes = @attributes, modifier = @modifier, modified_at = @modifiedAt, expires_at = @expiresAt, ends_at = @endsAt, encoded = @encoded WHERE id = @id',
    );
    this.#delete = db.prepare('DELETE FROM entries WHERE id = ?');
    this.#setExpiry = db.prepare('UPDATE entries SET expires_at = ? WHERE id = ?');
    this.#hasChildren = db.prepare<[string, number, number], { one: number }>(`SELECT 1 AS one FROM entries WHERE parent = ? AND ${LIVE} LIMIT 1`);
    this.#indexes = new EntryIndexes(db, this.#cache);
    this.#scans = new EntryScans(db, this.#cache, this.#indexes.groups);
    this.#deadlines = new Deadlines(db, this.#cache);
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

  /** Whether a live entry has this normalised DN (without reading it). */
  isLive(ndn: string, now: number): boolean {
    return this.#scans.isLive(ndn, now);
  }

  /** Whether any live entry sits directly below `ndn`. */
  hasChildren(ndn: string, now: number): boolean {
    return this.#hasChildren.get(ndn, now, now) !== undefined;
  }

  /** Inserts an entry with its index rows (and a conference's time span and multicast groups); returns its id. */
  insert(entry: Omit<StoredEntry, 'id'>, index: readonly IndexRow[], span?: Span, groups: readonly GroupRange[] = []): number {
    const id = Number(this.#insert.run({ ...entry, attributes: this.#json(entry), encoded: entry.encoded }).lastInsertRowid);
    this.#indexes.add(id, entry, index, span, groups);
    return id;
  }

  /** The JSON column of an entry: '' when its encoding holds the attributes (see the constructor). */
  #json(entry: Pick<StoredEntry, 'attributes' | 'encoded'>): string {
    return this.#encodingOnly && entry.encoded !== null ? '' : JSON.stringify(entry.attributes);
  }

  /** Replaces an entry's attributes, index rows, time span and multicast groups. */
  update(entry: StoredEntry, index: readonly IndexRow[], span?: Span, groups: readonly GroupRange[] = []): void {
    this.#update.run({ id: entry.id, attributes: this.#json(entry), modifier: entry.modifier, modifiedAt: entry.modifiedAt, expiresAt: entry.expiresAt, endsAt: entry.endsAt, encoded: entry.encoded });
    this.#indexes.replace(entry.id, entry, index, span, groups);
  }

  /** Sets when an entry expires (a refresh: attributes and index unchanged). */
  setExpiry(id: number, expiresAt: number): void {
    this.#setExpiry.run(expiresAt, id);
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

  /** Fills the span table of a database from before migration 004: {@link EntryIndexes.backfillSpans}. */
  backfillSpans(spanOf: (attributes: StoredAttributes) => Span | undefined): void {
    this.#indexes.backfillSpans(spanOf);
  }

  /** Fills the multicast groups table of a database from before migration 005: {@link EntryIndexes.backfillGroups}. */
  backfillGroups(groupsOf: (attributes: StoredAttributes) => readonly GroupRange[]): void {
    this.#indexes.backfillGroups(groupsOf);
  }
}
