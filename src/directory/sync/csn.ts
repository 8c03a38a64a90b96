/**
 * Change sequence numbers (CSNs) in OpenLDAP's format, `YYYYmmddHHMMSS.ffffffZ#cccccc#sid#mmmmmm`
 * (time to the microsecond, a counter within that microsecond, the server id, a modifier
 * number, all fixed width), so that stock OpenLDAP consumers read our entryCSN, contextCSN and
 * cookies as their own, and two CSNs compare as strings in the order they were made.
 */

/** The server id Rendezvous writes (one writer: OpenLDAP's single-provider default). */
export const SERVER_ID = 0;

const CSN = /^(\d{14})\.(\d{6})Z#([0-9a-fA-F]{6})#([0-9a-fA-F]{3})#([0-9a-fA-F]{6})$/;

/** Whether `text` is a CSN in OpenLDAP's format. */
export function isCsn(text: string): boolean {
  return CSN.test(text);
}

/** The server id of a CSN (hex field three). */
export function csnServerId(csn: string): number {
  const m = CSN.exec(csn);
  if (!m) throw new Error(`'${csn}' is not a CSN`);
  return Number.parseInt(m[4]!, 16);
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The time part of a CSN: `ms` since the Unix epoch and `micro` microseconds within that millisecond. */
function timePart(ms: number, micro: number): string {
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
  return `${date}.${pad(d.getUTCMilliseconds() * 1000 + micro, 6)}Z`;
}

/** Microseconds since the Unix epoch of a CSN's time part. */
function microsOf(csn: string): number {
  const t = csn.slice(0, 14);
  const ms = Date.UTC(Number(t.slice(0, 4)), Number(t.slice(4, 6)) - 1, Number(t.slice(6, 8)), Number(t.slice(8, 10)), Number(t.slice(10, 12)), Number(t.slice(12, 14)));
  return ms * 1000 + Number(csn.slice(15, 21));
}

const SID = SERVER_ID.toString(16).padStart(3, '0');
const MAX_COUNTER = 0xffffff;

/**
 * Makes CSNs that increase strictly, whatever the clock does: within one microsecond, or while
 * the clock is behind the newest CSN (stepped back), the time stays that of the newest CSN and
 * the counter grows; a full counter moves the time on by a microsecond.
 */
export class CsnClock {
  /** Time of the newest CSN, in microseconds since the Unix epoch, and its counter. */
  #micros: number;
  #counter: number;
  #newest: string;

  /** `newest` is the newest CSN already made (the log's, or the database's contextCSN). */
  constructor(newest: string) {
    if (!isCsn(newest)) throw new Error(`'${newest}' is not a CSN`);
    this.#micros = microsOf(newest);
    this.#counter = Number.parseInt(newest.slice(23, 29), 16);
    this.#newest = newest;
  }

  /** The newest CSN made (or the one it started from). */
  get newest(): string {
    return this.#newest;
  }

  /** The next CSN, at `now` (ms since the Unix epoch) if the clock allows. */
  next(now: number): string {
    const micros = Math.floor(now) * 1000;
    if (micros > this.#micros) {
      this.#micros = micros;
      this.#counter = 0;
    } else if (this.#counter < MAX_COUNTER) this.#counter += 1;
    else {
      this.#micros += 1;
      this.#counter = 0;
    }
    const ms = Math.floor(this.#micros / 1000);
    this.#newest = `${timePart(ms, this.#micros - ms * 1000)}#${this.#counter.toString(16).padStart(6, '0')}#${SID}#000000`;
    return this.#newest;
  }
}
