/**
 * Expiry on the second. Reads never show an entry past its deadline (every query compares
 * with the clock); this timer then deletes it from the database promptly, instead of in
 * slapd-style hourly sweeps, and reports it as an `expired` change event.
 */
import type { DirectoryContext } from '../context.js';

/** How soon to retry deleting when the database refused. */
const RETRY_MS = 5000;

/** setTimeout's largest delay. */
const MAX_DELAY = 2 ** 31 - 1;

/** Deletes entries when their TTL lapses or their conference ends. */
export class ExpiryScheduler {
  readonly #ctx: DirectoryContext;
  #timer: NodeJS.Timeout | undefined;
  #due: number | undefined;
  #stopped = false;
  readonly #onChange = (entry: { expiresAt: number | null; endsAt: number | null }): void => {
    for (const at of [entry.expiresAt, entry.endsAt]) if (at !== null) this.#notice(at);
  };

  constructor(ctx: DirectoryContext) {
    this.#ctx = ctx;
  }

  /** Deletes what expired while the server was down, then follows every change. */
  start(): void {
    this.#ctx.events.on('added', this.#onChange);
    this.#ctx.events.on('modified', this.#onChange);
    this.#sweep();
  }

  /** Learns of a deadline set by a write. */
  #notice(at: number): void {
    if (!this.#stopped && (this.#due === undefined || at < this.#due)) this.#schedule(at);
  }

  stop(): void {
    this.#stopped = true;
    this.#ctx.events.off('added', this.#onChange);
    this.#ctx.events.off('modified', this.#onChange);
    clearTimeout(this.#timer);
  }

  #sweep(): void {
    if (this.#stopped) return;
    try {
      for (const entry of this.#ctx.entries.deleteDue(this.#ctx.now())) this.#ctx.events.emit('expired', entry);
    } catch {
      // A read-only or full database: the entries stay invisible; try again shortly.
      this.#schedule(this.#ctx.now() + RETRY_MS);
      return;
    }
    const next = this.#ctx.entries.nextDeadline();
    this.#due = undefined;
    if (next !== undefined) this.#schedule(next);
  }

  #schedule(at: number): void {
    clearTimeout(this.#timer);
    this.#due = at;
    // Fire just after the deadline: entries whose deadline equals now are already invisible.
    const delay = Math.min(MAX_DELAY, Math.max(0, at - this.#ctx.now() + 1));
    this.#timer = setTimeout(() => this.#sweep(), delay);
    this.#timer.unref();
  }
}
