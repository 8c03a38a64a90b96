/**
 * Busy polling after a lone client's answer.
 *
 * A client that sends one request at a time waits for each answer before it sends the next.
 * Between the two, a process that goes back to sleep in epoll has to be woken for the next
 * request, and on a virtual machine whose idle CPUs halt (no guest halt polling) that wake-up
 * is an inter-processor interrupt to a halted virtual CPU: tens of microseconds, as much as
 * the search itself (ldclt, one connection, the benchmark's 2-core machine: twice the
 * searches a second with the client and the worker pinned to one CPU as on two; with polling,
 * equality searches at one connection went from below slapd's rate to above it; the
 * measurements are in bench/RESULTS.md).
 *
 * So after a connection's queue empties, the event loop keeps polling (a chain of
 * `setImmediate`, under which libuv polls with a zero timeout) for a short window, and picks
 * the next request up without a wake-up. Only when one connection is active: with several,
 * the process has their requests to serve between answers, and polling would take the CPU
 * from the clients and the other workers (it cost a tenth of the throughput at 8
 * connections). Linux's `busy_poll` socket option and Go's spinning scheduler threads trade
 * idle CPU for latency the same way.
 */

/** How long another connection's activity counts as "several clients", in milliseconds. */
export const SHARED_WINDOW_MS = 5;

/** Default polling window after a lone client's answer, in microseconds. */
export const DEFAULT_BUSY_POLL_MICROS = 200;

/**
 * The decision, free of timers: when to poll and until when. Times are milliseconds on one
 * monotonic clock.
 */
export class BusyPollPolicy {
  readonly #windowMs: number;
  #last: object | undefined;
  #lastAt = -Infinity;
  #sharedUntil = -Infinity;
  #until = -Infinity;

  /** @param windowMicros how long to poll after a lone client's answer; 0 never polls. */
  constructor(windowMicros: number) {
    this.#windowMs = windowMicros / 1000;
  }

  /**
   * `source` (a connection) has answered everything it was sent. Returns true if the caller
   * should poll from now on (it may already be polling; the window is extended).
   */
  idle(source: object, now: number): boolean {
    if (this.#windowMs <= 0) return false;
    if (source !== this.#last && now - this.#lastAt < SHARED_WINDOW_MS) this.#sharedUntil = now + SHARED_WINDOW_MS;
    this.#last = source;
    this.#lastAt = now;
    if (now < this.#sharedUntil) {
      this.#until = -Infinity;
      return false;
    }
    this.#until = now + this.#windowMs;
    return true;
  }

  /** Whether polling should go on at `now`. */
  polling(now: number): boolean {
    return now < this.#until;
  }
}

/** Runs the polling that {@link BusyPollPolicy} asks for, on this process's event loop. */
export class BusyPoller {
  readonly #policy: BusyPollPolicy;
  #running = false;
  readonly #tick = (): void => {
    if (this.#policy.polling(performance.now())) setImmediate(this.#tick);
    else this.#running = false;
  };

  /** @param windowMicros how long to poll after a lone client's answer; 0 turns polling off. */
  constructor(windowMicros: number) {
    this.#policy = new BusyPollPolicy(windowMicros);
  }

  /** `source` has answered everything it was sent (see {@link BusyPollPolicy.idle}). */
  idle(source: object): void {
    if (this.#policy.idle(source, performance.now()) && !this.#running) {
      this.#running = true;
      setImmediate(this.#tick);
    }
  }

  /** Whether the event loop is being kept polling now (for tests). */
  get running(): boolean {
    return this.#running;
  }
}
