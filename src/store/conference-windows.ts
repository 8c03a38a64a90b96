/**
 * Bounded conferences clustered by time, each with what a search for all user attributes
 * sends of it (schema/009-conference-windows.sql), so that a time-window search reads a few
 * consecutive pages instead of one random page of `entries` per conference. Filled by the
 * writing process while no write waits, up to a watermark; kept in step below it.
 */
import type { SqliteDatabase } from './database.js';
import { OPEN_END, type Span, type StoredEntry } from './entry.js';

/** What the table copies of an entry. */
export type WindowRow = Pick<StoredEntry, 'parent' | 'path' | 'dn' | 'expiresAt' | 'endsAt' | 'encoded'>;

/** Starts are stored offset by this, so every start the table takes is a positive field. */
const START_BIAS = 2n ** 38n;
/** Bits of the sequence number among conferences of one class starting in one second. */
const SEQUENCE_BITS = 18n;
const SEQUENCE_MAX = (1n << SEQUENCE_BITS) - 1n;
/** Where the class sits in a slot: above the start's 39 bits and the sequence. */
const CLASS_SHIFT = 39n + SEQUENCE_BITS;

/**
 * Whether a span goes in the table: both ends bounded, as the span query of the index
 * requires (an open end stands for a missing time, which no window term matches).
 */
const bounded = (span: Span | undefined): span is Span => span !== undefined && span[0] > -OPEN_END / 2 && span[1] < OPEN_END / 2;

/** The duration class of a span: the bit length of stop - start, so stop - start < 2^class. */
const durationClass = (span: Span): number => (span[1] <= span[0] ? 0 : (span[1] - span[0]).toString(2).length);

/**
 * The rows of conferences whose span may overlap [from, to] (seconds, bound in that order):
 * for each class present, the slots of the conferences of that class starting after
 * from - 2^class and at or before to. Their stops are checked by the caller's condition on
 * `stop`; the bounds are clamped to the start field, so no range reaches into another class.
 */
export const windowRowsSql = (alias: string): string => {
  const bias = START_BIAS.toString();
  const at = (start: string, sequence: string): string => `((k.class << ${CLASS_SHIFT}) + ((${start} + ${bias}) << ${SEQUENCE_BITS}) + ${sequence})`;
  return (
    `conference_window_classes AS k CROSS JOIN conference_windows AS ${alias} ON ${alias}.slot ` +
    `BETWEEN ${at(`max(? - (1 << k.class) + 1, -${bias})`, '0')} AND ${at(`min(?, ${bias} - 1)`, SEQUENCE_MAX.toString())}`
  );
};

/** The watermark, as an SQL expression: entries above it are not copied yet. */
export const WATERMARK_SQL = '(SELECT upto FROM conference_windows_copied)';

/** The conference_windows table: kept by the entry store's writes, read by window searches. */
export class ConferenceWindows {
  readonly #delete;
  readonly #insert;
  readonly #last;
  readonly #addClass;
  readonly #setExpiry;
  readonly #upto;
  readonly #setUpto;

  constructor(db: SqliteDatabase) {
    this.#delete = db.prepare('DELETE FROM conference_windows WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO conference_windows (slot, id, stop, parent, path, dn, expires_at, ends_at, encoded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // Slots pass 2^53: read as BigInt.
    this.#last = db.prepare<[bigint, bigint], bigint | null>('SELECT max(slot) FROM conference_windows WHERE slot BETWEEN ? AND ?').pluck().safeIntegers(true);
    this.#addClass = db.prepare('INSERT OR IGNORE INTO conference_window_classes (class) VALUES (?)');
    this.#setExpiry = db.prepare('UPDATE conference_windows SET expires_at = ? WHERE id = ?');
    this.#upto = db.prepare<[], number>('SELECT upto FROM conference_windows_copied').pluck();
    this.#setUpto = db.prepare('UPDATE conference_windows_copied SET upto = ?');
  }

  /** Adds the row of a new entry `id` if it is a conference with a bounded span. */
  add(id: number, span: Span | undefined, row: WindowRow): void {
    if (!bounded(span)) return;
    const cls = durationClass(span);
    const first = (BigInt(cls) << CLASS_SHIFT) | ((BigInt(span[0]) + START_BIAS) << SEQUENCE_BITS);
    const last = this.#last.get(first, first + SEQUENCE_MAX) ?? null;
    const slot = last === null ? first : last + 1n;
    if (slot > first + SEQUENCE_MAX) {
      throw new RangeError(`more than ${SEQUENCE_MAX + 1n} conferences of about this length start at ${new Date(span[0] * 1000).toISOString()}`);
    }
    this.#insert.run(slot, id, span[1], row.parent, row.path, row.dn, row.expiresAt, row.endsAt, row.encoded);
    this.#addClass.run(cls);
  }

  /** Replaces the row of entry `id` (none when it is no longer a bounded conference). */
  put(id: number, span: Span | undefined, row: WindowRow): void {
    this.#delete.run(id);
    this.add(id, span, row);
  }

  /** Follows a refresh of entry `id`. */
  setExpiry(id: number, expiresAt: number): void {
    this.#setExpiry.run(expiresAt, id);
  }

  /** The watermark: every entry with an id up to it has its copy (if it is a bounded conference). */
  upto(): number {
    return this.#upto.get()!;
  }

  /** Moves the watermark (in the transaction that copied the entries below it). */
  setUpto(id: number): void {
    this.#setUpto.run(id);
  }
}
