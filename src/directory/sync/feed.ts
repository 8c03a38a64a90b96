/**
 * The change feed of one process: what the change log (src/store/change-log.ts) holds past a
 * position, and a wake-up for the readers that follow it (live searches, the web page's
 * events). The log is the truth; notifications only wake readers. In the writing process a
 * recorded change wakes the feed once its transaction is over; in a worker, the primary's
 * message that the log grew does ({@link ChangeFeed.wake}), and a poll every second catches
 * a message lost or late, so no change is ever missed, only seen later.
 *
 * The newest changes are kept in memory (a ring of {@link RING_SIZE}), read once from SQLite
 * when the first reader asks, however many readers follow the feed, each with the caches a
 * reader fills once per change for all ({@link ChangeRecord.memo}).
 */
import type { ChangeLog, ChangeRow } from '../../store/index.js';

/** A change as readers get it: the log's row, with a place for what readers work out of it once. */
export interface ChangeRecord extends ChangeRow {
  /** Per-process caches readers share (the entry as it is now, filter results by query). */
  readonly memo: Map<string, unknown>;
}

/** The feed's interface for readers. */
export interface ChangeSource {
  /** The sequence number of the newest change this process knows committed. */
  head(): number;
  /** Changes after `seq`, oldest first (at most `limit`), or 'expired' when the log no longer holds them all. */
  since(seq: number, limit?: number): ChangeRecord[] | 'expired';
  /** Calls `listener` each time changes past the head were committed; returns how to stop. */
  onCommit(listener: () => void): () => void;
}

/** How many of the newest changes are kept in memory for the readers, at most. */
export const RING_SIZE = 4096;

/** ...and how many bytes of the attributes they recorded: changes of large entries are fewer. */
const RING_BYTES = 8 * 1024 * 1024;

/** How often a process with readers looks at the log without being told (ms). */
export const POLL_MS = 1000;

/** How many changes {@link ChangeFeed.since} returns at most by default. */
const DEFAULT_LIMIT = 512;

/** One process's view of the change log. */
export class ChangeFeed implements ChangeSource {
  readonly #log: ChangeLog;
  readonly #listeners = new Set<() => void>();
  #head: number;
  /** The newest changes read, in order, contiguous, ending at {@link #ringEnd}. */
  #ring: ChangeRecord[] = [];
  /** The sequence number of the ring's last change (or where the process started reading). */
  #ringEnd: number;
  /** Bytes of the attributes the ring's changes recorded. */
  #ringBytes = 0;
  #wakeScheduled = false;
  #poll: NodeJS.Timeout | undefined;
  /**
   * What readers worked out of the changes past a position, by their question's key and that
   * position ({@link shared}); forgotten when the head moves, since a read at the same
   * position may then find more.
   */
  #reads = new Map<string, Map<number, unknown>>();

  constructor(log: ChangeLog) {
    this.#log = log;
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

  /** Reads the rows between the ring's end and the head into the ring, at most {@link RING_SIZE} at a time. */
  #fill(): void {
    if (this.#ringEnd >= this.#head) return;
    let rows: ChangeRow[];
    try {
      rows = this.#log.since(this.#ringEnd, RING_SIZE);
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
      this.#ring.push({ ...row, memo: new Map() });
      this.#ringBytes += row.before?.length ?? 0;
    }
    this.#ringEnd = rows[rows.length - 1]!.seq;
    let drop = 0;
    while (drop < this.#ring.length - 1 && (this.#ring.length - drop > RING_SIZE || this.#ringBytes > RING_BYTES)) {
      this.#ringBytes -= this.#ring[drop]!.before?.length ?? 0;
      drop += 1;
    }
    this.#ring.splice(0, drop);
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
    // Otherwise (before the ring, or past it while it fills from far behind, 4,096 changes at a
    // time) the reader reads the log itself: never nothing while changes are past `seq`.
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
  }
}
