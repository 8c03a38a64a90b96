/**
 * Startup work a migration leaves to the code because SQL cannot do it (parsing conference
 * blobs): named rows of `pending_backfills`, each done once, in one transaction.
 */
import type { StoredForm } from './attribute-cache.js';
import { writeTransaction, type SqliteDatabase } from './database.js';

/** Rows of entries read per query, so no cursor stays open while writing. */
const BATCH = 500;

/**
 * The next batch of conferences after an id (bound: the id, the batch size), with their
 * stored attributes read by `storedSql`. It walks the object class index in entry order from
 * that id: an `id IN (SELECT ...)` form rebuilt the set of every conference for each batch,
 * quadratic in their number (measured: over 13 minutes of a backfill at 1,000,000 entries,
 * stopped, against 71 s for the whole backfill this way).
 */
export const conferencesAfterSql = (storedSql: string): string =>
  `SELECT e.id AS id, ${storedSql} AS stored
   FROM entry_index AS i CROSS JOIN entries AS e ON e.id = i.entry_id
   WHERE i.attr = 'objectclass' AND i.value = 'rtconference' AND i.entry_id > ? ORDER BY i.entry_id LIMIT ?`;

/**
 * Runs `visit` on every stored conference (its id and stored attributes, read by the SQL
 * expression `storedSql`, the entry store's) if the backfill `name` is pending, then marks it
 * done in the same transaction; a no-op once done, or if another process did it meanwhile.
 */
export function backfillConferences(db: SqliteDatabase, name: string, storedSql: string, visit: (id: number, stored: StoredForm) => void): void {
  const pending = db.prepare('SELECT 1 FROM pending_backfills WHERE name = ?');
  if (!pending.get(name)) return;
  const conferences = db.prepare<[number, number], { id: number; stored: StoredForm }>(conferencesAfterSql(storedSql));
  writeTransaction(db, () => {
    if (!pending.get(name)) return;
    for (let after = 0; ; ) {
      const rows = conferences.all(after, BATCH);
      for (const row of rows) visit(row.id, row.stored);
      if (rows.length < BATCH) break;
      after = rows.at(-1)!.id;
    }
    db.prepare('DELETE FROM pending_backfills WHERE name = ?').run(name);
  });
}
