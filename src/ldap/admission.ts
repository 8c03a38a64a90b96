/**
 * Who may connect, when a password may be checked, and whether one more live search may
 * open: decided by one authority for the whole server. With several worker processes each one asks the primary
 * (src/server/workers.ts), so limits and the failed-bind throttle count every connection and
 * bind, whichever worker serves it; a single process answers itself with {@link LocalAdmission}.
 */
import { BindThrottle, DEFAULT_BIND_THROTTLE, scaledBindThrottle, type BindOutcome } from './bind-throttle.js';
import { LiveCount } from './live-count.js';
import { RateLimitedLog, type Logger } from '../log.js';

export type { BindOutcome } from './bind-throttle.js';

/** A password bind's place in the failed-bind throttle. */
export interface BindTurn {
  /** Resolves when the password may be checked. */
  readonly ready: Promise<void>;
  /**
   * Says how the check ended, or, before `ready`, withdraws the bind (`none`: its connection
   * closed). Called once.
   */
  end(outcome: BindOutcome): void;
}

/** Connection limits and bind throttling, possibly answered by another process. */
export interface Admission {
  /** Takes a connection slot for `address`; resolves to why it is refused, or undefined when admitted. */
  admit(address: string): Promise<string | undefined>;
  /** Gives back the slot of a closed connection. */
  release(address: string): void;
  /**
   * Queues a password bind from `address` for `account` (the account's normal form, so that
   * every spelling of it counts together; '' for none).
   */
  bindTurn(address: string, account: string): BindTurn;
  /** Takes a place for one more live search in the server's total; resolves to why it is refused, or undefined when admitted. */
  admitLive(): Promise<string | undefined>;
  /** Gives back a live search's place. */
  releaseLive(): void;
}

/** The limits admission enforces. */
export interface AdmissionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /**
   * Delay after a first failed bind (ms); the whole curve scales with it (the default's 250
   * doubles to at most 8 s), and 0 turns the delays off. Default {@link DEFAULT_BIND_DELAY_BASE_MS}.
   */
  bindDelayBaseMs?: number;
  /** Live searches the whole server holds open at most (default {@link DEFAULT_MAX_LIVE_SEARCHES_TOTAL}). */
  maxLiveSearchesTotal?: number;
}

/** The server's limit of live searches open at once when none is given. */
export const DEFAULT_MAX_LIVE_SEARCHES_TOTAL = 10_000;

/** The first failed-bind delay when none is given (ms). */
export const DEFAULT_BIND_DELAY_BASE_MS = DEFAULT_BIND_THROTTLE.baseDelayMs;


/** Open connections, in total and by address; pure bookkeeping. */
export class ConnectionCounter {
  readonly #limits: AdmissionLimits;
  readonly #byAddress = new Map<string, number>();
  #total = 0;

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** Counts a new connection, or says why it is refused (and counts nothing). */
  admit(address: string): string | undefined {
    const fromAddress = this.#byAddress.get(address) ?? 0;
    if (this.#total >= this.#limits.maxConnections) return `${this.#limits.maxConnections} connections are open`;
    if (fromAddress >= this.#limits.maxConnectionsPerAddress) return `${this.#limits.maxConnectionsPerAddress} connections from ${address} are open`;
    this.#byAddress.set(address, fromAddress + 1);
    this.#total += 1;
    return undefined;
  }

  release(address: string): void {
    const left = (this.#byAddress.get(address) ?? 0) - 1;
    if (left < 0) return;
    this.#total -= 1;
    if (left === 0) this.#byAddress.delete(address);
    else this.#byAddress.set(address, left);
  }
}

/** Admission decided in this process. */
export class LocalAdmission implements Admission {
  readonly #counter: ConnectionCounter;
  readonly #throttle: BindThrottle;
  readonly #failures: RateLimitedLog;
  readonly #live: LiveCount;
  /** Checks waiting for their turn, by throttle id. */
  readonly #ready = new Map<number, () => void>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  constructor(limits: AdmissionLimits, log: Logger, throttle = new BindThrottle(scaledBindThrottle(limits.bindDelayBaseMs ?? DEFAULT_BIND_DELAY_BASE_MS))) {
    this.#counter = new ConnectionCounter(limits);
    this.#throttle = throttle;
    this.#failures = new RateLimitedLog((message) => log.info(message), 'failed binds');
    this.#live = new LiveCount(limits.maxLiveSearchesTotal ?? DEFAULT_MAX_LIVE_SEARCHES_TOTAL);
  }

  admitLive(): Promise<string | undefined> {
    return Promise.resolve(this.#live.take() ? undefined : `the server already serves ${this.#live.max} live searches; try again later`);
  }

  releaseLive(): void {
    this.#live.release();
  }

  admit(address: string): Promise<string | undefined> {
    return Promise.resolve(this.#counter.admit(address));
  }

  release(address: string): void {
    this.#counter.release(address);
  }

  bindTurn(address: string, account: string): BindTurn {
    const id = this.#throttle.request(address, account);
    const ready = new Promise<void>((resolve) => this.#ready.set(id, resolve));
    let ended = false;
    const end = (outcome: BindOutcome): void => {
      if (ended) return;
      ended = true;
      if (this.#ready.delete(id)) this.#throttle.cancel(id);
      else {
        const { failures, nextDelayMs } = this.#throttle.finish(id, outcome, Date.now());
        if (outcome === 'failed') {
          const as = account === '' ? 'with no account name' : `as ${JSON.stringify(account.length > 64 ? `${account.slice(0, 64)}…` : account)}`;
          this.#failures.note(address, `failed bind from ${address} ${as} (${failures} recent failure(s) from there; its next check waits ${nextDelayMs} ms)`);
        }
      }
      this.#dispatch();
    };
    this.#dispatch();
    return { ready, end };
  }

  /** Starts the checks whose turn has come, and wakes up when the next one's delay ends. */
  #dispatch(): void {
    const now = Date.now();
    const { start, wakeAt } = this.#throttle.due(now);
    for (const id of start) {
      const resolve = this.#ready.get(id)!;
      this.#ready.delete(id);
      resolve();
    }
    if (wakeAt === undefined || wakeAt >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = wakeAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#dispatch();
    }, wakeAt - now);
    this.#timer.unref();
  }
}
