/**
 * Time conversions at the SDP and TAPI edges. Inside Rendezvous time is a `Date`; SDP
 * speaks NTP seconds, TAPI's conference properties OLE Automation DATE.
 */
import type { TimeUnit, TypedTime } from './model.js';

/** Seconds from the NTP epoch (1900-01-01 UTC) to the Unix epoch. */
export const NTP_UNIX_OFFSET = 2_208_988_800;

/** Converts NTP seconds to a `Date`. `0`, which SDP uses for "unbounded", gives undefined. */
export function ntpToDate(ntp: number): Date | undefined {
  return ntp === 0 ? undefined : new Date((ntp - NTP_UNIX_OFFSET) * 1000);
}

/** Converts a `Date` to whole NTP seconds (fractions are dropped, as SDP has none). */
export function dateToNtp(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid date');
  const ntp = Math.floor(ms / 1000) + NTP_UNIX_OFFSET;
  if (ntp < 1_000_000_000) throw new RangeError(`${date.toISOString()} is too early for an SDP time`);
  return ntp;
}

const DAY_MS = 86_400_000;
/** 1899-12-30T00:00:00Z, day 0 of OLE Automation DATE. */
const OLE_EPOCH_MS = Date.UTC(1899, 11, 30);

/**
 * Converts an OLE Automation DATE (days since 1899-12-30, time of day as the fraction) to a `Date`.
 * Before the epoch the fraction still counts forwards within the day: -1.25 is 1899-12-29 06:00.
 */
export function oleDateToDate(ole: number): Date {
  if (!Number.isFinite(ole)) throw new RangeError('invalid OLE DATE');
  const days = Math.trunc(ole);
  const fraction = Math.abs(ole - days);
  return new Date(OLE_EPOCH_MS + days * DAY_MS + Math.round(fraction * DAY_MS));
}

/** Converts a `Date` to an OLE Automation DATE (the inverse of {@link oleDateToDate}). */
export function dateToOleDate(date: Date): number {
  const ms = date.getTime() - OLE_EPOCH_MS;
  if (!Number.isFinite(ms)) throw new RangeError('invalid date');
  if (ms >= 0) return ms / DAY_MS;
  const days = Math.floor(ms / DAY_MS);
  const fraction = (ms - days * DAY_MS) / DAY_MS;
  return days - fraction;
}

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2}))?)?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/;

/** Formats a `Date` as LDAP generalizedTime in UTC, `YYYYMMDDHHMMSSZ` (RFC 4517 §3.3.13). */
export function toGeneralizedTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * Parses LDAP generalizedTime (RFC 4517 §3.3.13): hours required, minutes and seconds
 * optional, a fraction of the last unit, and `Z` or a `±HH[MM]` offset.
 * Returns undefined when the text is not a valid generalizedTime.
 */
export function parseGeneralizedTime(text: string): Date | undefined {
  const m = GENERALIZED_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const zone = m[8]!;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  // The fraction applies to the last unit given (RFC 4517): hours, minutes or seconds.
  const unitMs = s !== undefined ? 1000 : mi !== undefined ? 60_000 : 3_600_000;
  const fractionMs = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * unitMs);
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(3, 5)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, Math.min(second, 59), 0);
  return new Date(utc.getTime() + fractionMs - offsetMinutes * 60_000);
}

/**
 * Seconds since the Unix epoch of a generalizedTime (surrounding spaces ignored, as filter
 * assertions may carry them), or undefined when the text is none: the unit of the span table
 * behind time-window searches.
 */
export function generalizedTimeSeconds(text: string): number | undefined {
  const date = parseGeneralizedTime(text.trim());
  return date ? date.getTime() / 1000 : undefined;
}

const UNIT_SECONDS: Readonly<Record<TimeUnit, number>> = { d: 86400, h: 3600, m: 60, s: 1 };

/**
 * Writes a typed time. The recorded unit is used when the value is a whole number of it,
 * otherwise plain seconds.
 */
export function formatTypedTime(time: TypedTime): string {
  if (time.unit && time.unit !== 's' && time.seconds % UNIT_SECONDS[time.unit] === 0) {
    return `${time.seconds / UNIT_SECONDS[time.unit]}${time.unit}`;
  }
  return time.unit === 's' ? `${time.seconds}s` : String(time.seconds);
}

/**
 * A typed time in the largest unit that divides it, as SDP writers conventionally do
 * (`604800` → `7d`).
 */
export function typedTime(seconds: number): TypedTime {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds !== 0 && seconds % UNIT_SECONDS[unit] === 0) return { seconds, unit };
  }
  return { seconds };
}
