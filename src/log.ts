/**
 * How the server's parts (the LDAP listener, MADCAP, the primary and its workers) report
 * what happens: one line per event on stderr, with the time; events an attacker can repeat
 * at will are rate-limited ({@link RateLimitedLog}).
 */

/** Where the server reports what happens. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * `message` on one line: line breaks and other control characters (a bind name or a search
 * base a client sent, a stack trace) are written as escapes, so no event spans two lines and
 * no client can forge a line of its own.
 */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Logs to stderr: `2026-11-24T10:00:00.000Z rendezvous: message`. */
export const stderrLogger: Logger = {
  info: (message) => process.stderr.write(`${new Date().toISOString()} rendezvous: ${oneLine(message)}\n`),
  warn: (message) => process.stderr.write(`${new Date().toISOString()} rendezvous: warning: ${oneLine(message)}\n`),
};

/** Discards everything (tests that start servers in-process). */
export const silentLogger: Logger = { info: () => {}, warn: () => {} };

/** A logger that puts `prefix` before every message (which worker process speaks). */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  return { info: (message) => log.info(prefix + message), warn: (message) => log.warn(prefix + message) };
}

/** How often a {@link RateLimitedLog} speaks for one key at most. */
export const LOG_INTERVAL_MS = 10_000;

/** Keys a {@link RateLimitedLog} follows one by one; events of further keys are counted together. */
const MAX_LOG_KEYS = 10_000;

interface Pending {
  count: number;
  last: string;
  since: number;
}

/**
 * Logs events of one kind (failed binds, say) at most once per key (a client address) per
 * interval: the first at once, the others counted into one line when the interval ends. An
 * attack then costs a line per source every few seconds, not a line per request.
 */
export class RateLimitedLog {
  readonly #write: (message: string) => void;
  /** What the events are, plural ("failed binds"). */
  readonly #what: string;
  readonly #intervalMs: number;
  readonly #pending = new Map<string, Pending>();
  /** Events of keys beyond {@link MAX_LOG_KEYS}. */
  #overflow = { count: 0, keys: new Set<string>(), timer: false };

  constructor(write: (message: string) => void, what: string, intervalMs = LOG_INTERVAL_MS) {
    this.#write = write;
    this.#what = what;
    this.#intervalMs = intervalMs;
  }

  /** An event of `key`, described by `message` (logged now, or counted into the next line). */
  note(key: string, message: string): void {
    const pending = this.#pending.get(key);
    if (pending) {
      pending.count += 1;
      pending.last = message;
      return;
    }
    if (this.#pending.size >= MAX_LOG_KEYS) {
      this.#noteOverflow(key);
      return;
    }
    this.#write(message);
    this.#pending.set(key, { count: 0, last: message, since: Date.now() });
    this.#schedule(key);
  }

  #schedule(key: string): void {
    setTimeout(() => {
      const pending = this.#pending.get(key)!;
      if (pending.count === 0) {
        this.#pending.delete(key);
        return;
      }
      const seconds = Math.round((Date.now() - pending.since) / 1000);
      this.#write(`${pending.count} more ${this.#what} from ${key} in the last ${seconds} s; the last: ${pending.last}`);
      this.#pending.set(key, { count: 0, last: pending.last, since: Date.now() });
      this.#schedule(key);
    }, this.#intervalMs).unref();
  }

  #noteOverflow(key: string): void {
    const overflow = this.#overflow;
    overflow.count += 1;
    if (overflow.keys.size < MAX_LOG_KEYS) overflow.keys.add(key);
    if (overflow.timer) return;
    overflow.timer = true;
    setTimeout(() => {
      this.#write(`${overflow.count} more ${this.#what} from ${overflow.keys.size}${overflow.keys.size >= MAX_LOG_KEYS ? ' or more' : ''} other sources in the last ${Math.round(this.#intervalMs / 1000)} s`);
      this.#overflow = { count: 0, keys: new Set(), timer: false };
    }, this.#intervalMs).unref();
  }
}
