/**
 * When entries lapse: the earliest deadline (a TTL or a conference end) and the entries past
 * theirs with whatever sits below them, read for the expiry that deletes them; and what sits
 * below an entry, which a delete takes with it too.
 */
import type { AttributeCache } from './attribute-cache.js';
import type { SqliteDatabase } from './database.js';
import { PATH_END, PATH_SEPARATOR, type StoredEntry } from './entry.js';
import { columns, fromRow, type Row } from './rows.js';

/**
 * The earliest deadline. The aggregate min skips NULLs (the two-argument scalar min would
 * return NULL); the IS NOT NULL terms let SQLite read it off the partial indexes instead of
 * scanning every entry (a full scan per expiry at 1,000,000 entries, found by the benchmark).
 */
export const NEXT_DEADLINE_SQL =
  'SELECT min(at) AS at FROM (SELECT min(expires_at) AS at FROM entries WHERE expires_at IS NOT NULL UNION ALL SELECT min(ends_at) FROM entries WHERE ends_at IS NOT NULL)';

/** The deadline queries of the entries table. */
export class Deadlines {
  readonly #cache: AttributeCache;
  readonly #next;
  readonly #due;
  readonly #descendants;

  constructor(db: SqliteDatabase, cache: AttributeCache) {
    this.#cache = cache;
    this.#next = db.prepare<[], { at: number | null }>(NEXT_DEADLINE_SQL);
    this.#due = db.prepare<[number, number], Row>(`SELECT ${columns('attributes')} FROM entries WHERE expires_at <= ? UNION SELECT ${columns('attributes')} FROM entries WHERE ends_at <= ?`).raw(true);
    this.#descendants = db.prepare<[string, string], Row>(`SELECT ${columns('attributes')} FROM entries WHERE path > ? AND path < ?`).raw(true);
  }

  /** The earliest moment any entry expires or ends (ms), if any does. */
  next(): number | undefined {
    return this.#next.get()?.at ?? undefined;
  }

  /**
   * Every entry whose TTL or conference end has passed at `now`, with whatever sat below it
   * (unreachable once its parent is gone), by id.
   */
  due(now: number): Map<number, StoredEntry> {
    const due = new Map<number, StoredEntry>();
    for (const row of this.#due.all(now, now)) {
      const entry = fromRow(row, this.#cache);
      due.set(entry.id, entry);
      for (const child of this.below(entry)) due.set(child.id, child);
    }
    return due;
  }

  /** The entries below one, expired or not. */
  below(entry: Pick<StoredEntry, 'path'>): StoredEntry[] {
    return this.#descendants.all(entry.path + PATH_SEPARATOR, entry.path + PATH_END).map((row) => fromRow(row, this.#cache));
  }
}
