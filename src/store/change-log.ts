/**
 * The change log (`changes`, migration 012): one row per change of an entry, written by the one
 * writing process in the transaction of the change, read by every process (workers read it
 * through their own read-only connection). Sequence numbers order it; CSNs are the names
 * clients know positions by (sync cookies). Bounded: {@link ChangeLog.purge} drops the oldest
 * rows and remembers the newest CSN it dropped, so that a reader can tell whether the log
 * still covers a position.
 */
import type { AttributeEncoding, StoredAttributes } from './attribute-cache.js';
import type { SqliteDatabase } from './database.js';
import type { StoredEntry } from './entry.js';

/** What happened to an entry. */
export type ChangeKind = 'add' | 'modify' | 'delete';

const KIND_CODE: Readonly<Record<ChangeKind, number>> = { add: 1, modify: 2, delete: 3 };
const KIND_OF: Readonly<Record<number, ChangeKind>> = { 1: 'add', 2: 'modify', 3: 'delete' };

/** A change as it is recorded. */
export interface NewChange {
  csn: string;
  uuid: string;
  kind: ChangeKind;
  /** A delete of expiry: a TTL lapsed or a conference ended, no client asked. */
  expired: boolean;
  dn: string;
  path: string;
  /** ms since the Unix epoch. */
  at: number;
  /**
   * The entry's attributes before: for a modify that changed them, and for a delete. `encoded`
   * is what the entry's row held, when the caller has it ({@link StoredEntry.encoded}: a
   * search result's encoding of exactly these attributes, which the log's reader decodes as it
   * decodes the store's encoding): logged as it is instead of encoding the attributes again.
   */
  before?: Pick<StoredEntry, 'attributes' | 'encoded'>;
}

/** A change as the log gives it back: its sequence number, and the attributes before encoded. */
export interface ChangeRow extends Omit<NewChange, 'before'> {
  seq: number;
  /** The entry's attributes before ({@link NewChange.before}), in the store's encoding, or null. */
  before: Buffer | null;
}

type RawChange = [seq: number, csn: string, uuid: string, kind: number, expired: number, dn: string, path: string, at: number, before: Buffer | null];

const SELECT = 'SELECT seq, csn, uuid, kind, expired, dn, path, at, before FROM changes';

/** The `changes` table and what the log has forgotten (`sync_state`). */
export class ChangeLog {
  readonly #encoding: AttributeEncoding;
  readonly #insert;
  readonly #since;
  readonly #head;
  readonly #newestRow;
  readonly #nextBefore;
  readonly #state;
  readonly #firstAfterCsn;
  readonly #oldest;
  readonly #purgeThrough;
  readonly #setPurged;
  readonly #deleteThrough;
  readonly #seqAtOrBefore;

  constructor(db: SqliteDatabase, encoding: AttributeEncoding) {
    this.#encoding = encoding;
    this.#insert = db.prepare('INSERT INTO changes (csn, uuid, kind, expired, dn, path, at, before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#since = db.prepare<[number, number], RawChange>(`${SELECT} WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
    this.#head = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM changes');
    this.#nextBefore = db.prepare<[string, number], { before: Buffer }>('SELECT before FROM changes WHERE uuid = ? AND seq > ? AND before IS NOT NULL ORDER BY seq LIMIT 1');
    this.#newestRow = db.prepare<[], { seq: number; csn: string }>('SELECT seq, csn FROM changes ORDER BY seq DESC LIMIT 1');
    this.#state = db.prepare<[], { context_csn: string; purged_csn: string }>('SELECT context_csn, purged_csn FROM sync_state WHERE id = 1');
    this.#firstAfterCsn = db.prepare<[string], { seq: number }>('SELECT seq FROM changes WHERE csn > ? ORDER BY csn LIMIT 1');
    this.#oldest = db.prepare<[], { seq: number; at: number }>('SELECT seq, at FROM changes ORDER BY seq LIMIT 1');
    this.#seqAtOrBefore = db.prepare<[number], { seq: number | null }>('SELECT max(seq) AS seq FROM changes WHERE at <= ?');
    this.#purgeThrough = db.prepare<[number], { csn: string | null }>('SELECT max(csn) AS csn FROM changes WHERE seq <= ?');
    this.#setPurged = db.prepare('UPDATE sync_state SET purged_csn = ? WHERE id = 1');
    this.#deleteThrough = db.prepare('DELETE FROM changes WHERE seq <= ?');
  }

  /** Appends a change (inside the write transaction that makes it); returns its sequence number. */
  append(change: NewChange): number {
    const before = change.before === undefined ? null : (change.before.encoded ?? this.#encoding.encode(change.before.attributes));
    return Number(this.#insert.run(change.csn, change.uuid, KIND_CODE[change.kind], change.expired ? 1 : 0, change.dn, change.path, change.at, before).lastInsertRowid);
  }

  /** The sequence number of the newest change committed (0 when the log is empty). */
  head(): number {
    return this.#head.get()?.seq ?? 0;
  }

  /** The changes after `seq`, oldest first, at most `limit`. */
  since(seq: number, limit: number): ChangeRow[] {
    return this.#since.all(seq, limit).map((r) => ({ seq: r[0], csn: r[1], uuid: r[2], kind: KIND_OF[r[3]]!, expired: r[4] === 1, dn: r[5], path: r[6], at: r[7], before: r[8] }));
  }

  /**
   * The attributes an entry had right after change `seq`: the `before` of its next change that
   * recorded one (undefined when none did: they are the entry's attributes now).
   */
  attributesAfter(uuid: string, seq: number): Buffer | undefined {
    return this.#nextBefore.get(uuid, seq)?.before;
  }

  /** Decodes the attributes of {@link ChangeRow.before}. */
  decodeBefore(before: Buffer): StoredAttributes {
    return this.#encoding.decode(before);
  }

  /** The newest change's position and CSN, read together (undefined when the log is empty). */
  newest(): { seq: number; csn: string } | undefined {
    return this.#newestRow.get();
  }

  /** The contextCSN: the newest change's CSN, or the CSN of the migration when nothing changed since. */
  contextCsn(): string {
    return this.newest()?.csn ?? this.#state.get()!.context_csn;
  }

  /** The newest CSN no longer in the log: positions older than it cannot be replayed. */
  purgedCsn(): string {
    return this.#state.get()!.purged_csn;
  }

  /**
   * The sequence number a reader at `csn` has seen up to: the changes after it are those with
   * a greater CSN. Only meaningful when the log covers `csn` (not older than {@link purgedCsn}).
   */
  seqOfCsn(csn: string): number {
    const next = this.#firstAfterCsn.get(csn);
    return next === undefined ? this.head() : next.seq - 1;
  }

  /**
   * Drops the oldest changes beyond `keep` rows and those older than `olderThan` (ms), always
   * keeping the newest; returns how many were dropped. Inside a write transaction.
   */
  purge(keep: number, olderThan: number): number {
    const head = this.head();
    if (head === 0) return 0;
    let through = Math.max(0, head - Math.max(1, keep));
    const old = this.#seqAtOrBefore.get(olderThan)?.seq ?? 0;
    through = Math.min(head - 1, Math.max(through, old));
    const oldest = this.#oldest.get();
    if (oldest === undefined || through < oldest.seq) return 0;
    const csn = this.#purgeThrough.get(through)?.csn;
    if (!csn) return 0;
    const dropped = this.#deleteThrough.run(through).changes;
    if (csn > this.#state.get()!.purged_csn) this.#setPurged.run(csn);
    return dropped;
  }
}
