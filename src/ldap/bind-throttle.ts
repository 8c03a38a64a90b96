/**
 * The failed-bind throttle: when each password check may start, per client address (source)
 * and per account, so that guessing is slow and bounded while nobody can lock an account out.
 * Pure: the clock is passed in; {@link LocalAdmission} (admission.ts) runs the timers and hands
 * out the turns.
 *
 * The policy (docs/server.md, "Failed binds"):
 * - A source with no recent failure gets up to `cleanConcurrency` checks at once, undelayed:
 *   a correct password from such a source is never slowed by anyone else's failures.
 * - A source with n recent failures gets one check at a time, starting at least delay(n) after
 *   its last failure, delay(n) = min(maxDelayMs, baseDelayMs·2^(n−1)). Binds queue per source
 *   when they arrive, not when they fail, so parallel connections do not multiply the rate.
 * - A source that failed for an account also waits delay(a) after its own last failure for
 *   it, a being that account's recent failures from every source: guessing one account from
 *   many sources is slowed too, but only at the sources that took part.
 * - A successful check forgives the failures its source made for that account (a typo, then
 *   the right password).
 * - Failures are forgotten `forgetAfterMs` after a record's last one, and at most `maxTracked`
 *   records (sources, accounts, source-account pairs) are kept, the least recently failed
 *   dropped first. Waiting binds are bounded by the connection limits: a connection has one
 *   operation in progress, and a bind whose connection closes leaves the queue ({@link cancel}).
 */
import { createHash } from 'node:crypto';

/** Throttle settings. */
export interface BindThrottleOptions {
  /** Delay after the first failure, doubled after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A record's failures are forgotten this long after its last one. */
  forgetAfterMs: number;
  /** Most records kept (the least recently failed are dropped), to bound memory. */
  maxTracked: number;
  /** Checks at once from a source with no recent failure. */
  cleanConcurrency: number;
}

/**
 * 250 ms, doubling to at most 8 s, forgotten after 15 minutes; 10,000 records (about 2 MB);
 * 4 checks at once from a clean source (libuv's thread pool hashes 4 passwords at a time).
 */
export const DEFAULT_BIND_THROTTLE: BindThrottleOptions = { baseDelayMs: 250, maxDelayMs: 8000, forgetAfterMs: 15 * 60_000, maxTracked: 10_000, cleanConcurrency: 4 };

/** The default throttle with its delays scaled to start at `baseDelayMs` (`serve --bind-delay-base`); 0: no delays. */
export function scaledBindThrottle(baseDelayMs: number): BindThrottleOptions {
  const scale = baseDelayMs / DEFAULT_BIND_THROTTLE.baseDelayMs;
  return { ...DEFAULT_BIND_THROTTLE, baseDelayMs, maxDelayMs: DEFAULT_BIND_THROTTLE.maxDelayMs * scale };
}

/** How a password check ended: `none` when it did not happen or said nothing about the password. */
export type BindOutcome = 'failed' | 'succeeded' | 'none';

/** What a finished check changed, for the log. */
export interface FailureCount {
  /** Recent failures of the source. */
  failures: number;
  /** How long the source's next check will wait after this failure, in ms. */
  nextDelayMs: number;
}

interface Turn {
  id: number;
  address: string;
  /** Key of the account's record ('' when the bind names no account). */
  account: string;
}

/** The binds of one source: waiting in arrival order, and how many are being checked. */
interface Source {
  waiting: Turn[];
  running: number;
}

interface Failures {
  count: number;
  last: number;
}

const NONE: Failures = { count: 0, last: 0 };

/** Account names longer than this are kept as a digest, so a 4 MiB bind DN costs no more than a short one. */
const MAX_KEY_CHARS = 128;

const accountRecordKey = (account: string): string =>
  account.length <= MAX_KEY_CHARS ? account : `#${createHash('sha256').update(account).digest('base64')}`;

/** Decides when password checks start. */
export class BindThrottle {
  readonly #options: BindThrottleOptions;
  /** Failure records by `s:address`, `a:account` and `p:address\0account`; Map order is the eviction order. */
  readonly #records = new Map<string, Failures>();
  /** Sources with binds waiting or being checked. */
  readonly #sources = new Map<string, Source>();
  readonly #waiting = new Map<number, Turn>();
  readonly #running = new Map<number, Turn>();
  #next = 1;

  constructor(options: BindThrottleOptions = DEFAULT_BIND_THROTTLE) {
    this.#options = options;
  }

  /** Failure records kept (sources, accounts and pairs): at most `maxTracked`. */
  get tracked(): number {
    return this.#records.size;
  }

  /** The delay after n recent failures. */
  delay(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** Math.min(failures - 1, 30));
  }

  /**
   * Queues a password check from `address` for `account` (the account's normal form, '' for
   * none); returns its id. It starts in a later {@link due}.
   */
  request(address: string, account: string): number {
    const id = this.#next++;
    let source = this.#sources.get(address);
    if (!source) {
      source = { waiting: [], running: 0 };
      this.#sources.set(address, source);
    }
    const turn = { id, address, account: account === '' ? '' : accountRecordKey(account) };
    source.waiting.push(turn);
    this.#waiting.set(id, turn);
    return id;
  }

  /** Removes a check that has not started (its connection closed); false if it was not waiting. */
  cancel(id: number): boolean {
    const turn = this.#waiting.get(id);
    if (!turn) return false;
    this.#waiting.delete(id);
    const source = this.#sources.get(turn.address)!;
    source.waiting.splice(source.waiting.indexOf(turn), 1);
    this.#dropIfIdle(turn.address, source);
    return true;
  }

  /**
   * Starts every waiting check whose turn has come; returns their ids, and the time at which
   * a check held back by a delay may start (undefined when none is: the others wait for a
   * check to finish).
   */
  due(now: number): { start: number[]; wakeAt: number | undefined } {
    const start: number[] = [];
    let wakeAt: number | undefined;
    for (const source of this.#sources.values()) {
      while (source.waiting.length > 0) {
        const head = source.waiting[0]!;
        const at = this.#startTime(head, source, now);
        if (at === undefined) break;
        if (at > now) {
          wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
          break;
        }
        source.waiting.shift();
        this.#waiting.delete(head.id);
        source.running += 1;
        this.#running.set(head.id, head);
        start.push(head.id);
      }
    }
    return { start, wakeAt };
  }

  /** Records how a started check ended. */
  finish(id: number, outcome: BindOutcome, now: number): FailureCount {
    const turn = this.#running.get(id);
    if (!turn) return { failures: 0, nextDelayMs: 0 };
    this.#running.delete(id);
    const source = this.#sources.get(turn.address)!;
    source.running -= 1;
    this.#dropIfIdle(turn.address, source);
    const sourceKey = `s:${turn.address}`;
    if (outcome === 'failed') {
      this.#bump(sourceKey, now);
      if (turn.account !== '') {
        this.#bump(`a:${turn.account}`, now);
        this.#bump(`p:${turn.address}\0${turn.account}`, now);
      }
      while (this.#records.size > this.#options.maxTracked) this.#records.delete(this.#records.keys().next().value!);
    } else if (outcome === 'succeeded' && turn.account !== '') {
      const pairKey = `p:${turn.address}\0${turn.account}`;
      const forgiven = this.#failures(pairKey, now).count;
      this.#records.delete(pairKey);
      if (forgiven > 0) for (const key of [sourceKey, `a:${turn.account}`]) this.#forgive(key, forgiven, now);
    }
    const failures = this.#failures(sourceKey, now).count;
    return { failures, nextDelayMs: this.delay(failures) };
  }

  /** When the head of a source's queue may start; undefined while it must wait for a check to finish. */
  #startTime(turn: Turn, source: Source, now: number): number | undefined {
    const own = this.#failures(`s:${turn.address}`, now);
    let at = now;
    if (own.count === 0) {
      if (source.running >= this.#options.cleanConcurrency) return undefined;
    } else {
      if (source.running > 0) return undefined;
      at = Math.max(at, own.last + this.delay(own.count));
    }
    if (turn.account !== '') {
      const pair = this.#failures(`p:${turn.address}\0${turn.account}`, now);
      if (pair.count > 0) at = Math.max(at, pair.last + this.delay(this.#failures(`a:${turn.account}`, now).count));
    }
    return at;
  }

  #failures(key: string, now: number): Failures {
    const record = this.#records.get(key);
    if (!record) return NONE;
    if (now - record.last > this.#options.forgetAfterMs) {
      this.#records.delete(key);
      return NONE;
    }
    return record;
  }

  #bump(key: string, now: number): void {
    const count = this.#failures(key, now).count + 1;
    this.#records.delete(key); // re-inserted last: the least recently failed go first
    this.#records.set(key, { count, last: now });
  }

  #forgive(key: string, count: number, now: number): void {
    const record = this.#failures(key, now);
    if (record.count <= count) this.#records.delete(key);
    else this.#records.set(key, { count: record.count - count, last: record.last });
  }

  #dropIfIdle(address: string, source: Source): void {
    if (source.running === 0 && source.waiting.length === 0) this.#sources.delete(address);
  }
}
