/**
 * Index upkeep: the rows that find an entry besides its own, written with it in the same
 * transaction: its equality index rows (`entry_index`), a conference's time span
 * (`conference_spans`), multicast groups (`conference_groups`) and time-clustered copy
 * (`conference_windows`, with its watermark). Also the startup fills of the span and group
 * tables for databases written before them.
 */
import type Database from 'better-sqlite3';
import type { AttributeCache, StoredAttributes } from './attribute-cache.js';
import { ConferenceGroups, type GroupRange } from './conference-groups.js';
import { ConferenceWindows, type WindowRow } from './conference-windows.js';
import { writeTransaction, type SqliteDatabase } from './database.js';
import type { IndexRow, Span } from './entry.js';
import { columns, fromRow, type Row } from './rows.js';

/**
 * Index rows inserted by one statement at most. A statement per row was most of an add's
 * index upkeep (the bind, step and reset of each, and the table's and index's cursors opened
 * each time); one statement of many rows opens them once. Statements are kept by row count.
 */
const ROWS_PER_INSERT = 16;

/** The index tables of the entries. */
export class EntryIndexes {
  readonly #db: SqliteDatabase;
  readonly #cache: AttributeCache;
  /** By row count - 1, prepared on first use ({@link ROWS_PER_INSERT}). */
  readonly #insertIndex: Array<Database.Statement<unknown[]> | undefined> = [];
  readonly #indexOf;
  readonly #deleteIndexRow;
  readonly #putSpan;
  readonly #deleteSpan;
  readonly #after;
  /** The multicast groups of the conferences, which clash detection reads. */
  readonly groups: ConferenceGroups;
  readonly #windows: ConferenceWindows;

  constructor(db: SqliteDatabase, cache: AttributeCache) {
    this.#db = db;
    this.#cache = cache;
    this.#indexOf = db.prepare<[number], [string, string]>('SELECT attr, value FROM entry_index WHERE entry_id = ?').raw(true);
    this.#deleteIndexRow = db.prepare('DELETE FROM entry_index WHERE entry_id = ? AND attr = ? AND value = ?');
    this.#putSpan = db.prepare('INSERT OR REPLACE INTO conference_spans (id, lo, hi) VALUES (?, ?, ?)');
    this.#deleteSpan = db.prepare('DELETE FROM conference_spans WHERE id = ?');
    this.#after = db.prepare<[number, number], Row>(`SELECT ${columns('attributes')} FROM entries WHERE id > ? ORDER BY id LIMIT ?`).raw(true);
    this.groups = new ConferenceGroups(db);
    this.#windows = new ConferenceWindows(db);
  }

  /** Inserts index rows of entry `id`, {@link ROWS_PER_INSERT} to a statement. */
  #insertRows(id: number, rows: readonly IndexRow[]): void {
    for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
      const count = Math.min(ROWS_PER_INSERT, rows.length - from);
      const params: unknown[] = [];
      for (let i = from; i < from + count; i += 1) params.push(id, rows[i]!.attr, rows[i]!.value);
      let statement = this.#insertIndex[count - 1];
      if (statement === undefined) {
        statement = this.#db.prepare(`INSERT INTO entry_index (entry_id, attr, value) VALUES ${Array(count).fill('(?, ?, ?)').join(', ')}`);
        this.#insertIndex[count - 1] = statement;
      }
      statement.run(params);
    }
  }

  /** Indexes a new entry: its index rows, and a conference's time span and multicast groups. */
  add(id: number, entry: WindowRow, index: readonly IndexRow[], span: Span | undefined, groups: readonly GroupRange[]): void {
    this.#insertRows(id, index);
    if (span) this.#putSpan.run(id, span[0], span[1]);
    if (groups.length > 0) this.groups.put(id, groups);
    // Above the watermark the copier copies it; at or below (an id reused after the highest
    // entries were deleted), it is copied now.
    if (id <= this.#windows.upto()) this.#windows.add(id, span, entry);
  }

  /**
   * Replaces an entry's index rows, time span and multicast groups. Only the index rows that
   * differ from those stored are deleted and inserted: a modify changes a value or two of an
   * entry that has a dozen rows, each a write at a random place of two B-trees. `same` says
   * what the caller knows to be as stored (the span and groups come from the conference's
   * times and blob: a modify that leaves them alone leaves them to be).
   */
  replace(id: number, entry: WindowRow, index: readonly IndexRow[], span: Span | undefined, groups: readonly GroupRange[], same: { span: boolean; groups: boolean } = { span: false, groups: false }): void {
    const stored = new Set<string>();
    for (const [attr, value] of this.#indexOf.all(id)) stored.add(`${attr}\u0000${value}`);
    const wanted = new Set<string>();
    const added: IndexRow[] = [];
    for (const row of index) {
      const key = `${row.attr}\u0000${row.value}`;
      wanted.add(key);
      if (!stored.has(key)) added.push(row);
    }
    this.#insertRows(id, added);
    for (const key of stored) {
      if (wanted.has(key)) continue;
      const cut = key.indexOf('\u0000');
      this.#deleteIndexRow.run(id, key.slice(0, cut), key.slice(cut + 1));
    }
    if (!same.span) {
      if (span) this.#putSpan.run(id, span[0], span[1]);
      else this.#deleteSpan.run(id);
    }
    if (!same.groups) this.groups.put(id, groups);
    if (id <= this.#windows.upto()) this.#windows.put(id, span, entry);
  }

  /** Follows a refresh of an entry (its copy keeps its deadline). */
  setExpiry(id: number, expiresAt: number): void {
    if (id <= this.#windows.upto()) this.#windows.setExpiry(id, expiresAt);
  }

  /**
   * Copies the next entries above the watermark into the time-clustered table (the bounded
   * conferences among them), at most `limit`, in one write transaction, and moves the
   * watermark past them. Returns how many entries it read: fewer than `limit` once the copy
   * is up to date.
   */
  copyWindows(limit: number, spanOf: (attributes: StoredAttributes) => Span | undefined): number {
    return writeTransaction(this.#db, () => {
      const rows = this.#after.all(this.#windows.upto(), limit);
      for (const row of rows) {
        const entry = fromRow(row, this.#cache);
        this.#windows.add(entry.id, spanOf(entry.attributes), entry);
      }
      if (rows.length > 0) this.#windows.setUpto(rows.at(-1)![0]);
      return rows.length;
    });
  }

  /**
   * Fills the span table for entries stored before it existed (a database from before
   * migration 004); a no-op once any span is there or when no entry has a start time.
   */
  backfillSpans(spanOf: (attributes: StoredAttributes) => Span | undefined): void {
    if (this.#db.prepare('SELECT 1 FROM conference_spans LIMIT 1').get()) return;
    if (!this.#db.prepare("SELECT 1 FROM entry_index WHERE attr = 'objectclass' AND value = 'rtconference' LIMIT 1").get()) return;
    writeTransaction(this.#db, () => {
      for (const row of this.#db.prepare<[], { id: number; encoded: Buffer }>(`SELECT id, encoded FROM entries WHERE id IN (SELECT entry_id FROM entry_index WHERE attr = 'objectclass' AND value = 'rtconference')`).all()) {
        const span = spanOf(this.#cache.get(row.id, row.encoded));
        if (span) this.#putSpan.run(row.id, span[0], span[1]);
      }
    });
  }

  /** Fills the multicast groups table for a database from before migration 005; a no-op once done. */
  backfillGroups(groupsOf: (attributes: StoredAttributes) => readonly GroupRange[]): void {
    this.groups.backfill((id, encoded) => groupsOf(this.#cache.get(id, encoded)));
  }
}
