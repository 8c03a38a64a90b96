/**
 * A growing delay after failed binds, per client address and per account, so that password
 * guessing slows to a crawl while one mistyped password costs a quarter of a second.
 * Pure: the clock is passed in.
 */

/** Throttle settings. */
export interface BindThrottleOptions {
  /** Delay after the first failure, doubled after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures older than this are forgotten. */
  forgetAfterMs: number;
  /** Most addresses and accounts remembered (the oldest are dropped), to bound memory. */
  maxTracked: number;
}

/** 250 ms, doubling to at most 8 s; forgotten after 15 minutes. */
export const DEFAULT_BIND_THROTTLE: BindThrottleOptions = { baseDelayMs: 250, maxDelayMs: 8000, forgetAfterMs: 15 * 60_000, maxTracked: 10_000 };

interface Record {
  failures: number;
  last: number;
}

/** Tracks failed binds. */
export class BindThrottle {
  readonly #options: BindThrottleOptions;
  readonly #byKey = new Map<string, Record>();

  constructor(options: BindThrottleOptions = DEFAULT_BIND_THROTTLE) {
    this.#options = options;
  }

  #keys(address: string, account: string): string[] {
    return account === '' ? [`addr:${address}`] : [`addr:${address}`, `acct:${account.toLowerCase()}`];
  }

  #failures(key: string, now: number): number {
    const record = this.#byKey.get(key);
    if (!record) return 0;
    if (now - record.last > this.#options.forgetAfterMs) {
      this.#byKey.delete(key);
      return 0;
    }
    return record.failures;
  }

  /** How long to wait before checking a bind from this address for this account. */
  delayFor(address: string, account: string, now: number): number {
    const failures = Math.max(...this.#keys(address, account).map((k) => this.#failures(k, now)));
    if (failures === 0) return 0;
    return Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (failures - 1));
  }

  /** Records a failed bind; returns the number of failures now counted for the address. */
  failure(address: string, account: string, now: number): number {
    let count = 0;
    for (const key of this.#keys(address, account)) {
      const failures = this.#failures(key, now) + 1;
      this.#byKey.delete(key); // re-insert: Map order is the eviction order
      this.#byKey.set(key, { failures, last: now });
      count = Math.max(count, failures);
    }
    while (this.#byKey.size > this.#options.maxTracked) this.#byKey.delete(this.#byKey.keys().next().value!);
    return count;
  }

  /** A successful bind clears the account's and the address's record. */
  success(address: string, account: string): void {
    for (const key of this.#keys(address, account)) this.#byKey.delete(key);
  }
}
