/**
 * Expiry on the second. Reads never show an entry past its deadline (every query compares
 * with the clock); this timer then deletes it from the database promptly, instead of in
 * slapd-style hourly sweeps, as a write like the others (group-committed with the clients'
 * writes) that records each deletion as an `expired` change (and an application container
 * it leaves empty as `deleted`).
 */
import { recordChange } from '../changes.js';
import { keepClashFlags } from '../conferences/clash-flags.js';
import type { DirectoryContext } from '../context.js';
import { removeApplicationEntries, removeEmptyApplicationContainers } from '../operations/registrations.js';

/** How soon to retry deleting when the database refused. */
const RETRY_MS = 5000;

/** setTimeout's largest delay. */
const MAX_DELAY = 2 ** 31 - 1;

/** Deletes, in the open write transaction, every entry whose TTL lapsed or whose conference ended. */
function deleteExpired(ctx: DirectoryContext): void {
  const expired = ctx.entries.deleteDue(ctx.now());
  for (const entry of expired) recordChange(ctx, { kind: 'expired', entry });
  // Conferences that clashed with one that ended or lapsed may no longer clash.
  keepClashFlags(ctx, [], expired);
  // A NetMeeting person's application entry goes with it; an application container with the
  // last registration below it.
  removeApplicationEntries(ctx, expired);
  removeEmptyApplicationContainers(ctx, expired.map((entry) => entry.parent));
}

/** Deletes entries when their TTL lapses or their conference ends. */
export class ExpiryScheduler {
  readonly #ctx: DirectoryContext;
  readonly #write: (fn: () => void) => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #due: number | undefined;
  #stopped = false;
  readonly #onChange = (entry: { expiresAt: number | null; endsAt: number | null }): void => {
    for (const at of [entry.expiresAt, entry.endsAt]) if (at !== null) this.#notice(at);
  };

  /** `write` runs a function in a write transaction (the directory's group commit) and resolves once it is committed. */
  constructor(ctx: DirectoryContext, write: (fn: () => void) => Promise<void>) {
    this.#ctx = ctx;
    this.#write = write;
  }

  /**
   * Deletes what expired while the server was down, before it serves anyone (nothing else
   * writes yet: a transaction of its own), then follows every change.
   */
  start(): void {
    this.#ctx.events.on('added', this.#onChange);
    this.#ctx.events.on('modified', this.#onChange);
    try {
      this.#ctx.entries.transaction(() => deleteExpired(this.#ctx));
    } catch {
      return this.#retry();
    }
    this.#scheduleNext();
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
    this.#write(() => deleteExpired(this.#ctx)).then(
      () => this.#scheduleNext(),
      () => this.#retry(),
    );
  }

  /** Waits for the earliest deadline left. */
  #scheduleNext(): void {
    if (this.#stopped) return;
    const next = this.#ctx.entries.nextDeadline();
    this.#due = undefined;
    if (next !== undefined) this.#schedule(next);
  }

  /** A read-only or full database refused the deletions: the entries stay invisible; try again shortly. */
  #retry(): void {
    if (!this.#stopped) this.#schedule(this.#ctx.now() + RETRY_MS);
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
