/**
 * The change feed of one process: what the change log (src/store/change-log.ts) holds past a
 * position, and a wake-up for the readers that follow it (live searches, the web page's
 * events). The log is the truth; notifications only wake readers. In the writing process a
 * recorded change wakes the feed once its transaction is over; in a worker, the primary's
 * message that the log grew does ({@link ChangeFeed.wake}), and a poll every second catches
 * a message lost or late, so no change is ever missed, only seen later.
 *
 * The changes are kept in memory (a ring), read once from SQLite when the first reader asks,
 * however many readers follow the feed, with what readers work out of each change once for
 * all ({@link ChangeFeed.remember}: the entry as the change left it, filter answers, encoded
 * messages). The ring keeps the newest {@link RingBounds.size}, and beyond them every change a
 * reader that follows the feed ({@link ChangeFeed.track}) has not read yet, so that readers
 * far apart still share each change's work: a reader outside the ring reads the log into
 * records of its own and does all that work alone, many times the cost per change, which
 * kept an overloaded server from ever catching up. The whole ring, with what is remembered
 * on its changes, is bounded in bytes ({@link RingBounds.bytes}): past it the oldest go, read
 * or not.
 */
import type { ChangeLog, ChangeRow } from '../../store/index.js';

/** A change as readers get it: the log's row, with a place for what readers work out of it once. */
export interface ChangeRecord extends ChangeRow {
  /** Per-process caches readers share (the entry before and after the change, filter answers by query, message bodies); written through {@link ChangeSource.remember}. */
  readonly memo: Map<string, unknown>;
}

/** A reader that follows the feed, by the position it has read up to. */
export interface FeedReader {
  /** The sequence number of the last change it read. */
  readonly seq: number;
}

/** The feed's interface for readers. */
export interface ChangeSource {
  /** The sequence number of the newest change this process knows committed. */
  head(): number;
  /** Changes after `seq`, oldest first (at most `limit`), or 'expired' when the log no longer holds them all. */
  since(seq: number, limit?: number): ChangeRecord[] | 'expired';
  /** Calls `listener` each time changes past the head were committed; returns how to stop. */
  onCommit(listener: () => void): () => void;
  /**
   * Keeps the changes past `reader`'s position in memory for it (within the feed's bound) until
   * it has read them; returns how to stop (the reader is done).
   */
  track(reader: FeedReader): () => void;
  /**
   * Keeps `value` in `record`'s memo under `key` for every reader, counted as `bytes` against
   * the feed's bound while the ring holds the change; returns the value.
   */
  remember<T>(record: ChangeRecord, key: string, value: T, bytes: number): T;
}

/** A change in the ring, with the bytes it and what is remembered on it are counted for. */
interface HeldRecord extends ChangeRecord {
  held: number;
}

/** What the ring keeps (see the module's comment). */
export interface RingBounds {
  /** How many of the newest changes it keeps whether or not a reader still needs them. */
  size: number;
  /** Bytes it may hold, its changes and what is remembered on them counted together (the oldest go first past it, read or not). */
  bytes: number;
}

/**
 * 4,096 changes, and 48 MiB: about 20,000 changes of a conference or a person with their
 * entries and one encoding each (before the ring kept changes for its readers, it held the
 * newest 4,096 with 8 MiB of their attributes, and encodings and entries had 16 MiB each).
 */
export const DEFAULT_RING: RingBounds = { size: 4096, bytes: 48 * 1024 * 1024 };

/** How many of the newest changes the ring keeps by default whether or not a reader still needs them. */
export const RING_SIZE = DEFAULT_RING.size;

/** What the feed reads of the change log (src/store/change-log.ts). */
export type ChangeRows = Pick<ChangeLog, 'head' | 'since'>;

/** What a change of the log is counted for in the ring, besides what is remembered on it: the row, its strings, the attributes it recorded. */
const rowBytes = (row: ChangeRow): number => 200 + 2 * (row.dn.length + row.path.length + row.csn.length) + (row.before?.length ?? 0);

/** How often a process with readers looks at the log without being told (ms). */
export const POLL_MS = 1000;

/** How many changes {@link ChangeFeed.since} returns at most by default. */
const DEFAULT_LIMIT = 512;

/** One process's view of the change log. */
export class ChangeFeed implements ChangeSource {
  readonly #log: ChangeRows;
  readonly #bounds: RingBounds;
  readonly #listeners = new Set<() => void>();
  #head: number;
  /** The changes read, in order, contiguous, ending at {@link #ringEnd}. */
  #ring: HeldRecord[] = [];
  /** The sequence number of the ring's last change (or where the process started reading). */
  #ringEnd: number;
  /** Bytes the ring's changes and what is remembered on them are counted for. */
  #ringBytes = 0;
  /** Readers following the feed, whose unread changes the ring keeps. */
  readonly #readers = new Set<FeedReader>();
  #wakeScheduled = false;
  #poll: NodeJS.Timeout | undefined;
  /**
   * What readers worked out of the changes past a position, by their question's key and that
   * position ({@link shared}); forgotten when the head moves, since a read at the same
   * position may then find more.
   */
  #reads = new Map<string, Map<number, unknown>>();

  constructor(log: ChangeRows, bounds: RingBounds = DEFAULT_RING) {
    this.#log = log;
    this.#bounds = bounds;
    this.#head = log.head();
    this.#ringEnd = this.#head;
  }

  head(): number {
    return this.#head;
  }

  /**
   * Looks at the log's head and, when it moved, tells the listeners (call it when told the
   * log grew). The rows themselves are read when a reader asks for them ({@link since}): a
   * process whose only listener passes the news on (the primary telling its workers) reads none.
   */
  wake(): void {
    let head: number;
    try {
      head = this.#log.head();
    } catch {
      return; // A busy or closed database: the next wake or poll reads it.
    }
    if (head <= this.#head) return;
    this.#head = head;
    if (this.#reads.size > 0) this.#reads = new Map();
    for (const listener of [...this.#listeners]) listener();
  }

  /** Reads the rows between the ring's end and the head into the ring, at most the ring's size at a time. */
  #fill(): void {
    if (this.#ringEnd >= this.#head) return;
    let rows: ChangeRow[];
    try {
      rows = this.#log.since(this.#ringEnd, this.#bounds.size);
    } catch {
      return; // Readers then read the log themselves, or wait for the next wake.
    }
    if (rows.length === 0) return;
    // The log forgot changes this process had not read yet: the ring must stay contiguous
    // (readers before the gap find them expired in the log).
    if (rows[0]!.seq !== this.#ringEnd + 1) {
      this.#ring = [];
      this.#ringBytes = 0;
    }
    for (const row of rows) {
      const held = rowBytes(row);
      this.#ring.push({ ...row, memo: new Map(), held });
      this.#ringBytes += held;
    }
    this.#ringEnd = rows[rows.length - 1]!.seq;
    this.#trim();
  }

  /**
   * Lets the oldest changes go: past the ring's size those every reader has read, past its
   * bytes any. A reader still holding one (a read in progress) keeps it alive.
   */
  #trim(): void {
    let horizon: number | undefined;
    let drop = 0;
    while (drop < this.#ring.length - 1) {
      const oldest = this.#ring[drop]!;
      if (this.#ringBytes <= this.#bounds.bytes) {
        if (this.#ring.length - drop <= this.#bounds.size) break;
        horizon ??= this.#horizon();
        if (oldest.seq > horizon) break;
      }
      this.#ringBytes -= oldest.held;
      drop += 1;
    }
    if (drop > 0) this.#ring.splice(0, drop);
  }

  /** The position of the reader furthest behind (Infinity: none). */
  #horizon(): number {
    let horizon = Infinity;
    for (const reader of this.#readers) if (reader.seq < horizon) horizon = reader.seq;
    return horizon;
  }

  /** Whether `record` is the ring's (not a reader's own, read from the log). */
  #holds(record: ChangeRecord): record is HeldRecord {
    const first = this.#ring[0];
    return first !== undefined && record.seq >= first.seq && this.#ring[record.seq - first.seq] === record;
  }

  /** What the ring holds: how many changes, and the bytes they are counted for. */
  get held(): { changes: number; bytes: number } {
    return { changes: this.#ring.length, bytes: this.#ringBytes };
  }

  track(reader: FeedReader): () => void {
    this.#readers.add(reader);
    return () => {
      this.#readers.delete(reader);
    };
  }

  remember<T>(record: ChangeRecord, key: string, value: T, bytes: number): T {
    record.memo.set(key, value);
    if (this.#holds(record)) {
      record.held += bytes;
      this.#ringBytes += bytes;
      if (this.#ringBytes > this.#bounds.bytes) this.#trim();
    }
    return value;
  }

  /** Wakes the feed after the current turn (in the writing process: once the transaction is over). */
  wakeSoon(): void {
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.wake();
    });
  }

  since(seq: number, limit = DEFAULT_LIMIT): ChangeRecord[] | 'expired' {
    if (seq >= this.#head) return [];
    // The first reader to reach the ring's end reads on, for all.
    if (seq >= this.#ringEnd) this.#fill();
    const first = this.#ring[0];
    // Held in memory: the ring starts at or before the next change and reaches past `seq`.
    // Otherwise (before the ring, or past it while it fills from far behind, the ring's size
    // at a time) the reader reads the log itself: never nothing while changes are past `seq`.
    if (first !== undefined && first.seq <= seq + 1 && seq < this.#ringEnd) {
      const start = seq + 1 - first.seq;
      return this.#ring.slice(start, start + limit);
    }
    const rows = this.#log.since(seq, limit);
    // Gone from the log: the first row is not the one after seq.
    if (rows.length === 0 || rows[0]!.seq !== seq + 1) return 'expired';
    return rows.map((row) => ({ ...row, memo: new Map() }));
  }

  /**
   * The value readers asking the same question (`key`) from the same position (`seq`) share
   * until the head moves, made by the first of them: a thousand live searches of one query,
   * woken together, read and judge the new changes once instead of a thousand times.
   */
  shared<T>(key: string, seq: number, make: () => T): T {
    let byPosition = this.#reads.get(key);
    if (byPosition === undefined) this.#reads.set(key, (byPosition = new Map()));
    if (byPosition.has(seq)) return byPosition.get(seq) as T;
    const value = make();
    byPosition.set(seq, value);
    return value;
  }

  onCommit(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#poll === undefined) {
      this.#poll = setInterval(() => this.wake(), POLL_MS);
      this.#poll.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#poll !== undefined) {
        clearInterval(this.#poll);
        this.#poll = undefined;
      }
    };
  }

  /** Stops polling (the process is stopping). */
  close(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
    this.#listeners.clear();
    this.#readers.clear();
  }
}
