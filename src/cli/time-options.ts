/**
 * Times and durations from the command line: ISO 8601 (local time when no offset is given,
 * as a person means it) or `now`; durations as SDP typed times (`90`, `30m`, `2h`, `1d`).
 */
import { readTypedTime, type FieldReporter } from '../sdp/fields.js';
import { UsageError } from './errors.js';

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|([+-])(\d{2}):?(\d{2})?)?$/i;

/**
 * Reads `now` or an ISO 8601 date or date-time. Without an offset the time is local (a
 * date alone is local midnight, unlike `Date.parse`, which takes it as UTC).
 *
 * @throws {@link UsageError} naming the option, for anything else or a date that does not exist.
 */
export function parseTime(text: string, option: string, now: Date = new Date()): Date {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'now') return new Date(now.getTime());
  const m = ISO_8601.exec(trimmed);
  if (!m) throw new UsageError(`${option} must be an ISO 8601 time such as 2026-11-24T14:30 or 2026-11-24T14:30:00Z, or now; not '${text}'`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  // The wall-clock fields, read as UTC, must come back unchanged: Date would roll 02-30 over to March.
  const wall = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  const fields = [wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate(), wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds()];
  if (fields.some((value, i) => value !== [year, month, day, hour, minute, second][i])) {
    throw new UsageError(`${option}: '${text}' is not a valid date`);
  }
  const zone = m[8];
  if (zone === undefined) return new Date(year, month - 1, day, hour, minute, second, ms);
  const offsetMinutes = zone.toUpperCase() === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  return new Date(wall.getTime() - offsetMinutes * 60_000);
}

/**
 * Reads a positive duration in SDP typed-time form: seconds, or a number with d, h, m or s.
 *
 * @returns seconds
 * @throws {@link UsageError} naming the option.
 */
export function parseDuration(text: string, option: string): number {
  const reporter: FieldReporter = {
    error: (_code, message) => {
      throw new UsageError(`${option}: ${message}`);
    },
    warn: () => undefined,
    fault: (_code, message) => {
      throw new UsageError(`${option}: ${message}`);
    },
  };
  const seconds = readTypedTime(text.trim(), reporter, 'a duration')?.seconds ?? 0;
  if (seconds <= 0) throw new UsageError(`${option} must be longer than zero, not '${text}'`);
  return seconds;
}

/** A commander parser for a time option. */
export const timeOption = (option: string) => (value: string): Date => parseTime(value, option);

/** A commander parser for a duration option, in seconds. */
export const durationOption = (option: string) => (value: string): number => parseDuration(value, option);
