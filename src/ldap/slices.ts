/**
 * How an operation that reads many entries (a search, the refresh phase of a live search)
 * shares its process: it runs in slices of {@link SLICE_MS}, between which it lets the event
 * loop run (an abandon, other clients' requests) and has its corked writes go out, and it stops
 * at its time limit. Both such loops keep their own rules (what they gather, which limits and
 * messages apply); the time they keep is here, once.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Session } from './session.js';

/**
 * Milliseconds an operation runs before it checks its time limit and whether it was
 * abandoned, and lets the event loop run, whether it is reading candidates that do not match
 * or sending entries to a client that reads them as fast.
 */
export const SLICE_MS = 5;

/** The slices and the deadline of one operation on a corked session. */
export class Slices {
  readonly #session: Session;
  /** When the operation must stop (ms since the epoch; Infinity: never). */
  readonly deadline: number;
  #turned = Date.now();

  /** `timeLimitSeconds`: the operation's time limit, 0 for none. */
  constructor(session: Session, timeLimitSeconds: number) {
    this.#session = session;
    this.deadline = timeLimitSeconds > 0 ? Date.now() + timeLimitSeconds * 1000 : Infinity;
  }

  /** Whether the time limit has passed at `now` (Date.now()). */
  expired(now: number): boolean {
    return now > this.deadline;
  }

  /** Whether the slice is used up at `now`: time to {@link pause}. */
  due(now: number): boolean {
    return now - this.#turned >= SLICE_MS;
  }

  /** The operation waited for the client to read: its slice starts again. */
  restart(): void {
    this.#turned = Date.now();
  }

  /** Lets the event loop run once: what was written goes out, then the session is corked again. */
  async pause(): Promise<void> {
    this.#session.uncork();
    await nextTurn();
    this.#session.cork();
    this.#turned = Date.now();
  }
}
