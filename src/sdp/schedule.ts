/**
 * When a session is active: expansion of time descriptions, their `r=` repeats and `z=`
 * adjustments (RFC 8866 §5.9–5.11) into concrete occurrences, and into the regular series a
 * calendar writes as recurrence rules ({@link repeatSeries}).
 */
import type { Repeat, TimeDescription, ZoneAdjustment } from './model.js';
import { NTP_UNIX_OFFSET } from './time.js';

/**
 * One period during which the session is active. An absent start means "since ever"
 * (a permanent session), an absent end "with no end" (unbounded or permanent).
 */
export interface Occurrence {
  start?: Date;
  end?: Date;
}

/** The overall span of a session, as a directory indexes it. */
export interface SessionSpan {
  /** Start of the earliest occurrence; absent for a permanent session. */
  start?: Date;
  /** End of the latest occurrence, repeats included; absent when unbounded or permanent. */
  stop?: Date;
  /** Some time description has a stop time of 0 (and a start): it never ends. */
  unbounded: boolean;
  /** Some time description is `t=0 0`. */
  permanent: boolean;
}

const toDate = (ntpSeconds: number): Date => new Date((ntpSeconds - NTP_UNIX_OFFSET) * 1000);
const toNtp = (date: Date): number => date.getTime() / 1000 + NTP_UNIX_OFFSET;

/** The shift that the `z=` adjustments apply to a repeat starting at `ntp` (base time). */
function zoneShift(zones: readonly ZoneAdjustment[] | undefined, ntp: number): number {
  let shift = 0;
  for (const zone of zones ?? []) if (zone.time <= ntp) shift = zone.offset.seconds;
  return shift;
}

/**
 * The `z=` adjustments that apply to a time description: its own, or (RFC 2327/4566
 * placement) a single `z=` written after the last description applies to all of them.
 */
function zonesFor(times: readonly TimeDescription[], index: number): readonly ZoneAdjustment[] | undefined {
  const own = times[index]!.zones;
  if (own) return own;
  const withZones = times.filter((t) => t.zones);
  const last = times.at(-1)!;
  return withZones.length === 1 && last.zones && last.repeats.length === 0 ? last.zones : undefined;
}

/** The occurrence of one repeat offset in cycle k, or undefined when it begins after the stop time. */
function occurrenceOf(t: TimeDescription, repeat: Repeat, offset: number, k: number, zones: readonly ZoneAdjustment[] | undefined): Occurrence | undefined {
  const base = t.start + k * repeat.interval.seconds + offset;
  const start = base + zoneShift(zones, base);
  if (t.stop !== 0 && start >= t.stop) return undefined;
  let end = start + repeat.duration.seconds;
  if (t.stop !== 0 && end > t.stop) end = t.stop;
  return { start: toDate(start), end: toDate(end) };
}

/**
 * The first occurrence, across all time descriptions, that has not ended at `after`: the
 * one in progress, or else the next to begin. Undefined when the session is over.
 * Computed arithmetically, so an unbounded daily repeat costs the same as a single `t=`.
 */
export function nextOccurrence(times: readonly TimeDescription[], after: Date): Occurrence | undefined {
  const now = toNtp(after);
  let best: Occurrence | undefined;
  const consider = (o: Occurrence | undefined): void => {
    if (!o || (o.end && o.end.getTime() <= after.getTime())) return;
    if (!best || (best.start && (!o.start || o.start.getTime() < best.start.getTime()))) best = o;
  };
  times.forEach((t, index) => {
    if (t.start === 0) return consider({});
    if (t.repeats.length === 0) return consider(t.stop === 0 ? { start: toDate(t.start) } : { start: toDate(t.start), end: toDate(t.stop) });
    const zones = zonesFor(times, index);
    const maxShift = Math.max(0, ...(zones ?? []).map((z) => Math.abs(z.offset.seconds)));
    for (const repeat of t.repeats) {
      const interval = repeat.interval.seconds;
      for (const offset of repeat.offsets.map((o) => o.seconds)) {
        // First cycle whose occurrence could still be running, stepped back for zone shifts.
        let k = Math.max(0, Math.floor((now - t.start - offset - repeat.duration.seconds - maxShift) / interval));
        for (;;) {
          const o = occurrenceOf(t, repeat, offset, k, zones);
          if (!o) break;
          if (o.end!.getTime() > after.getTime()) {
            consider(o);
            break;
          }
          k += 1;
        }
      }
    }
  });
  return best;
}

/** The first and last moments a time description is active. */
function spanOf(times: readonly TimeDescription[], index: number): { start: number; end: number } {
  const t = times[index]!;
  if (t.repeats.length === 0) return { start: t.start, end: t.stop };
  const zones = zonesFor(times, index);
  let first = Infinity;
  let last = -Infinity;
  for (const repeat of t.repeats) {
    const interval = repeat.interval.seconds;
    for (const offset of repeat.offsets.map((o) => o.seconds)) {
      const o0 = occurrenceOf(t, repeat, offset, 0, zones);
      if (o0) first = Math.min(first, toNtp(o0.start!));
      if (t.stop === 0) continue;
      // Last cycle that begins before the stop time; zone shifts may push it across, so step back.
      for (let k = Math.floor((t.stop - t.start - offset) / interval); k >= 0; k -= 1) {
        const o = occurrenceOf(t, repeat, offset, k, zones);
        if (o) {
          last = Math.max(last, toNtp(o.end!));
          break;
        }
      }
    }
  }
  return { start: first === Infinity ? t.start : first, end: t.stop === 0 ? 0 : last === -Infinity ? t.stop : last };
}

/**
 * The overall span of a session: earliest start and latest end over all time descriptions,
 * with repeats expanded.
 */
export function sessionSpan(times: readonly TimeDescription[]): SessionSpan {
  let permanent = false;
  let unbounded = false;
  let start = Infinity;
  let stop = -Infinity;
  times.forEach((t, index) => {
    if (t.start === 0) {
      permanent = true;
      return;
    }
    const span = spanOf(times, index);
    start = Math.min(start, span.start);
    if (span.end === 0) unbounded = true;
    else stop = Math.max(stop, span.end);
  });
  const result: SessionSpan = { unbounded, permanent };
  if (start !== Infinity && !permanent) result.start = toDate(start);
  if (stop !== -Infinity && !unbounded && !permanent) result.stop = toDate(stop);
  return result;
}

/**
 * A regular run of occurrences: `count` of them (none: without end), the first at `first`,
 * one every `intervalSeconds`, each lasting `durationSeconds`.
 */
export interface RepeatSeries {
  first: Date;
  intervalSeconds: number;
  durationSeconds: number;
  /** Absent: the series goes on for ever (an unbounded time description). */
  count?: number;
}

/**
 * The occurrences of the repeats of one time description (`times[index]`, which has `r=`
 * lines) as regular series, exactly as {@link nextOccurrence} expands them: one series per
 * offset of each `r=` line, cut where a `z=` adjustment changes the shift (a calendar's rule
 * cannot change its step midway), and an occurrence that the stop time cuts short as a series
 * of its own. Computed arithmetically: cycles are counted, never walked one by one.
 */
export function repeatSeries(times: readonly TimeDescription[], index: number): RepeatSeries[] {
  const t = times[index]!;
  const zones = zonesFor(times, index);
  const breaks = [...new Set((zones ?? []).map((z) => z.time))].sort((a, b) => a - b);
  const out: RepeatSeries[] = [];
  for (const repeat of t.repeats) {
    const interval = repeat.interval.seconds;
    const duration = repeat.duration.seconds;
    for (const offset of repeat.offsets.map((o) => o.seconds)) {
      const origin = t.start + offset;
      // Cycle k's base time is origin + k * interval; the shift is constant between breaks.
      const starts = [0, ...breaks.map((time) => Math.max(0, Math.ceil((time - origin) / interval)))];
      starts.forEach((lo, i) => {
        const next = starts[i + 1];
        if (next !== undefined && next <= lo) return;
        const shift = zoneShift(zones, origin + lo * interval);
        const first = origin + shift;
        if (t.stop === 0) {
          out.push({ first: toDate(first + lo * interval), intervalSeconds: interval, durationSeconds: duration, ...(next === undefined ? {} : { count: next - lo }) });
          return;
        }
        // Cycles that begin before the stop time, and of those the ones that end by it.
        const hi = Math.min(next ?? Infinity, Math.max(lo, Math.ceil((t.stop - first) / interval)));
        const whole = Math.min(hi, Math.max(lo, Math.floor((t.stop - duration - first) / interval) + 1));
        if (whole > lo) out.push({ first: toDate(first + lo * interval), intervalSeconds: interval, durationSeconds: duration, count: whole - lo });
        for (let k = whole; k < hi; k += 1) {
          const start = first + k * interval;
          out.push({ first: toDate(start), intervalSeconds: interval, durationSeconds: t.stop - start, count: 1 });
        }
      });
    }
  }
  return out;
}
