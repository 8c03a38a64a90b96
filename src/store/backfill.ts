/**
 * Startup work a migration leaves to the code because SQL cannot do it (parsing conference
 * blobs, encoding attributes): named rows of `pending_backfills`, each done once, in one
 * transaction.
 */
import { writeTransaction, type SqliteDatabase } from './database.js';

/** Rows of entries read per query, so no cursor stays open while writing. */
const BATCH = 500;

/**
 * Runs `work` in one write transaction if the backfill `name` is pending, and marks it done
 * in the same transaction; a no-op once done, or if another process did it meanwhile.
 */
function backfill(db: SqliteDatabase, name: string, work: () => void): void {
  const pending = db.prepare('SELECT 1 FROM pending_backfills WHERE name = ?');
  if (!pending.get(name)) return;
  writeTransaction(db, () => {
    if (!pending.get(name)) return;
    work();
    db.prepare('DELETE FROM pending_backfills WHERE name = ?').run(name);
  });
}

/**
 * The next batch of conferences after an id (bound: the id, the batch size), with their
 * encodings. It walks the object class index in entry order from that id: an
 * `id IN (SELECT ...)` form rebuilt the set of every conference for each batch, quadratic in
 * their number (measured: over 13 minutes of a backfill at 1,000,000 entries, stopped,
 * against 71 s for the whole backfill this way).
 */
export const CONFERENCES_AFTER_SQL = `SELECT e.id AS id, e.encoded AS encoded
   FROM entry_index AS i CROSS JOIN entries AS e ON e.id = i.entry_id
   WHERE i.attr = 'objectclass' AND i.value = 'rtconference' AND i.entry_id > ? ORDER BY i.entry_id LIMIT ?`;

/** Runs `visit` on every stored conference (its id and encoding) if the backfill `name` is pending: {@link backfill}. */
export function backfillConferences(db: SqliteDatabase, name: string, visit: (id: number, encoded: Buffer) => void): void {
  backfill(db, name, () => {
    const conferences = db.prepare<[number, number], { id: number; encoded: Buffer }>(CONFERENCES_AFTER_SQL);
    for (let after = 0; ; ) {
      const rows = conferences.all(after, BATCH);
      for (const row of rows) visit(row.id, row.encoded);
      if (rows.length < BATCH) break;
      after = rows.at(-1)!.id;
    }
  });
}

/** An entry's attributes as a row keeps them since migration 010. */
export interface RowEncoding {
  /** Every attribute value, in the protocol's encoding. */
  encoded: Buffer;
  /** Whether `encoded` is exactly what a search for all user attributes sends. */
  sendable: boolean;
}

/**
 * Encodes the rows a database written before migration 010 kept as JSON alone (written before
 * migration 007, or holding an empty value): the migration moved their JSON to `entry_json`.
 * `encode` gives a row's encoding and whether a search result sends it as it is; the
 * time-clustered copy of a row it sends gets the bytes too. Then `entry_json` goes.
 */
export function backfillEncodings(db: SqliteDatabase, encode: (attributes: Record<string, string[]>) => RowEncoding): void {
  backfill(db, 'entry_encoding', () => {
    const rows = db.prepare<[number, number], { id: number; attributes: string }>('SELECT id, attributes FROM entry_json WHERE id > ? ORDER BY id LIMIT ?');
    const update = db.prepare('UPDATE entries SET encoded = ?, sendable = ? WHERE id = ?');
    const copy = db.prepare('UPDATE conference_windows SET encoded = ? WHERE id = ?');
    for (let after = 0; ; ) {
      const batch = rows.all(after, BATCH);
      for (const row of batch) {
        const { encoded, sendable } = encode(JSON.parse(row.attributes) as Record<string, string[]>);
        update.run(encoded, sendable ? 1 : 0, row.id);
        if (sendable) copy.run(encoded, row.id);
      }
      if (batch.length < BATCH) break;
      after = batch.at(-1)!.id;
    }
    db.exec('DROP TABLE entry_json');
  });
}
