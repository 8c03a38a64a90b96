/**
 * Fills the time-clustered copy of the conferences (schema/009-conference-windows.sql) in the
 * one writing process, in small transactions, only while no write has arrived for a moment:
 * each copied row is inserted at a random place of a large table, a cost that adds paying it
 * themselves could not afford (a third of their rate, measured), and that a pause in the
 * writes absorbs. Searches read entries above the watermark from `entries` meanwhile.
 */
import type { EntryStore, WriteBatch } from '../../store/index.js';
import { spanOf } from './span.js';

/** Entries read per transaction: a few milliseconds, so a write that arrives waits little. */
const BATCH = 200;
/** How long writes must have paused before copying. */
const QUIET_MS = 250;
/** How often to look again once up to date, or while writes go on. */
const IDLE_POLL_MS = 500;
/** How long to wait after a copy failed (a full disk, a quota) before trying again. */
const RETRY_MS = 60_000;

/** What the copier reports once it has caught up (after starting, and after copying). */
export interface CopyProgress {
  entries: number;
  ms: number;
}

export class WindowCopier {
  readonly #entries: EntryStore;
  readonly #writes: WriteBatch;
  readonly #onUpToDate: (progress: CopyProgress) => void;
  readonly #onError: (error: Error) => void;
  #timer: NodeJS.Timeout | undefined;
  /** Entries read since the copy was last up to date, and since when. */
  #run: { entries: number; started: number } | undefined;

  /** `onError` hears a copy that failed (its transaction undone; tried again a minute later). */
  constructor(entries: EntryStore, writes: WriteBatch, onUpToDate: (progress: CopyProgress) => void, onError: (error: Error) => void) {
    this.#entries = entries;
    this.#writes = writes;
    this.#onUpToDate = onUpToDate;
    this.#onError = onError;
  }

  /** Starts; the first time the copy is up to date is reported even if nothing was copied. */
  start(): void {
    this.#run = { entries: 0, started: performance.now() };
    this.#schedule(0);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => this.#step(), ms);
    // Never what keeps the process alive.
    this.#timer.unref();
  }

  #step(): void {
    if (this.#writes.quietMs < QUIET_MS) return this.#schedule(IDLE_POLL_MS);
    let read: number;
    try {
      read = this.#entries.copyWindows(BATCH, spanOf);
    } catch (error) {
      // A timer's exception would end the process: searches do without the rest of the copy.
      this.#onError(error as Error);
      return this.#schedule(RETRY_MS);
    }
    if (read > 0) this.#run ??= { entries: 0, started: performance.now() };
    if (this.#run) this.#run.entries += read;
    if (read === BATCH) return this.#schedule(0);
    if (this.#run) {
      this.#onUpToDate({ entries: this.#run.entries, ms: performance.now() - this.#run.started });
      this.#run = undefined;
    }
    this.#schedule(IDLE_POLL_MS);
  }
}
