/**
 * Who may connect, and how long a bind must wait: decided by one authority for the whole
 * server. With several worker processes each one asks the primary (src/server/workers.ts),
 * so limits and the failed-bind delay count every connection and bind, whichever worker
 * serves it; a single process answers itself with {@link LocalAdmission}.
 */
import { BindThrottle, DEFAULT_BIND_THROTTLE, type BindThrottleOptions } from '../directory/bind-throttle.js';

/** Connection limits and bind throttling, possibly answered by another process. */
export interface Admission {
  /** Takes a connection slot for `address`; resolves to why it is refused, or undefined when admitted. */
  admit(address: string): Promise<string | undefined>;
  /** Gives back the slot of a closed connection. */
  release(address: string): void;
  /** How long to wait (ms) before checking a password bind from this address for this account. */
  bindDelay(address: string, account: string): Promise<number>;
  /** Records a failed bind; resolves to the failures now counted and the next delay (ms). */
  bindFailed(address: string, account: string): Promise<{ failures: number; nextDelay: number }>;
  /** Records a successful bind, which clears the delays. */
  bindSucceeded(address: string, account: string): void;
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
}

/** The first failed-bind delay when none is given (ms). */
export const DEFAULT_BIND_DELAY_BASE_MS = DEFAULT_BIND_THROTTLE.baseDelayMs;

/** The default throttle with its delays scaled to start at `baseDelayMs`. */
function scaledThrottle(baseDelayMs = DEFAULT_BIND_DELAY_BASE_MS): BindThrottleOptions {
  const scale = baseDelayMs / DEFAULT_BIND_THROTTLE.baseDelayMs;
  return { ...DEFAULT_BIND_THROTTLE, baseDelayMs, maxDelayMs: DEFAULT_BIND_THROTTLE.maxDelayMs * scale };
}

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

  constructor(limits: AdmissionLimits, throttle = new BindThrottle(scaledThrottle(limits.bindDelayBaseMs))) {
    this.#counter = new ConnectionCounter(limits);
    this.#throttle = throttle;
  }

  admit(address: string): Promise<string | undefined> {
    return Promise.resolve(this.#counter.admit(address));
  }

  release(address: string): void {
    this.#counter.release(address);
  }

  bindDelay(address: string, account: string): Promise<number> {
    return Promise.resolve(this.#throttle.delayFor(address, account, Date.now()));
  }

  bindFailed(address: string, account: string): Promise<{ failures: number; nextDelay: number }> {
    const failures = this.#throttle.failure(address, account, Date.now());
    return Promise.resolve({ failures, nextDelay: this.#throttle.delayFor(address, account, Date.now()) });
  }

  bindSucceeded(address: string, account: string): void {
    this.#throttle.success(address, account);
  }
}
