import { describe, expect, it } from 'vitest';
import { nextOccurrence, parseSdpStrict, repeatSeries, sessionSpan, type RepeatSeries, type TimeDescription } from '../../src/sdp/index.js';
import { sdp } from './helpers.js';

const ntp = (iso: string): number => Date.parse(iso) / 1000 + 2208988800;
const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('session span', () => {
  it('is the t= interval without repeats', () => {
    const span = sessionSpan([{ start: ntp('2026-12-01T10:00:00Z'), stop: ntp('2026-12-01T11:00:00Z'), repeats: [] }]);
    expect(iso(span.start)).toBe('2026-12-01T10:00:00.000Z');
    expect(iso(span.stop)).toBe('2026-12-01T11:00:00.000Z');
    expect(span).toMatchObject({ unbounded: false, permanent: false });
  });

  it('expands the RFC 8866 §5.10 weekly example to its last occurrence', () => {
    // Every week, Monday 10:00 for an hour and Tuesday 11:00 for an hour, for three months.
    const times: TimeDescription[] = [
      {
        start: ntp('2026-01-05T10:00:00Z'),
        stop: ntp('2026-03-31T11:00:00Z'),
        repeats: [{ interval: { seconds: 604800, unit: 'd' }, duration: { seconds: 3600, unit: 'h' }, offsets: [{ seconds: 0 }, { seconds: 90000, unit: 'h' }] }],
      },
    ];
    const span = sessionSpan(times);
    expect(iso(span.start)).toBe('2026-01-05T10:00:00.000Z');
    // 2026-03-30 is a Monday (the last Monday before the stop), Tuesday 31st 11:00 starts at the stop: excluded.
    expect(iso(span.stop)).toBe('2026-03-30T11:00:00.000Z');
  });

  it('takes the earliest start and latest end over several t= lines', () => {
    const span = sessionSpan([
      { start: ntp('2026-12-03T10:00:00Z'), stop: ntp('2026-12-03T11:00:00Z'), repeats: [] },
      { start: ntp('2026-12-01T10:00:00Z'), stop: ntp('2026-12-01T11:00:00Z'), repeats: [] },
    ]);
    expect(iso(span.start)).toBe('2026-12-01T10:00:00.000Z');
    expect(iso(span.stop)).toBe('2026-12-03T11:00:00.000Z');
  });

  it('flags unbounded and permanent sessions and gives them no stop', () => {
    const unbounded = sessionSpan([{ start: ntp('2026-12-01T10:00:00Z'), stop: 0, repeats: [] }]);
    expect(unbounded).toMatchObject({ unbounded: true, permanent: false });
    expect(unbounded.stop).toBeUndefined();
    const permanent = sessionSpan([{ start: 0, stop: 0, repeats: [] }]);
    expect(permanent).toEqual({ unbounded: false, permanent: true });
  });

  it('applies z= adjustments to repeats after the adjustment time', () => {
    const times: TimeDescription[] = [
      {
        start: ntp('2026-10-05T10:00:00Z'),
        stop: ntp('2026-11-10T00:00:00Z'),
        repeats: [{ interval: { seconds: 604800, unit: 'd' }, duration: { seconds: 3600, unit: 'h' }, offsets: [{ seconds: 0 }] }],
        zones: [{ time: ntp('2026-10-25T01:00:00Z'), offset: { seconds: -3600, unit: 'h' } }],
      },
    ];
    // The last Monday occurrence (Nov 9) is shifted an hour earlier by the adjustment.
    expect(iso(sessionSpan(times).stop)).toBe('2026-11-09T10:00:00.000Z');
    expect(iso(nextOccurrence(times, new Date('2026-10-27T00:00:00Z'))?.start)).toBe('2026-11-02T09:00:00.000Z');
    expect(iso(nextOccurrence(times, new Date('2026-10-13T00:00:00Z'))?.start)).toBe('2026-10-19T10:00:00.000Z');
  });

  it('applies a single z= written after the last description (RFC 4566) to all of them', () => {
    const d = parseSdpStrict(
      sdp(
        'v=0', 'o=- 1 1 IN IP4 h.example', 's=x', 'c=IN IP4 239.255.1.1/1',
        `t=${ntp('2026-10-05T10:00:00Z')} ${ntp('2026-11-10T00:00:00Z')}`, 'r=7d 1h 0',
        `t=${ntp('2026-10-06T10:00:00Z')} ${ntp('2026-11-11T00:00:00Z')}`, 'r=7d 1h 0',
        `z=${ntp('2026-10-25T01:00:00Z')} -1h`,
      ),
    );
    expect(iso(sessionSpan(d.times).stop)).toBe('2026-11-10T10:00:00.000Z');
  });
});

describe('next occurrence', () => {
  const weekly: TimeDescription[] = [
    {
      start: ntp('2026-01-05T10:00:00Z'),
      stop: 0,
      repeats: [{ interval: { seconds: 604800, unit: 'd' }, duration: { seconds: 3600, unit: 'h' }, offsets: [{ seconds: 0 }, { seconds: 90000, unit: 'h' }] }],
    },
  ];

  it('finds the occurrence in progress', () => {
    const o = nextOccurrence(weekly, new Date('2026-01-12T10:30:00Z'));
    expect([iso(o?.start), iso(o?.end)]).toEqual(['2026-01-12T10:00:00.000Z', '2026-01-12T11:00:00.000Z']);
  });

  it('finds the next one between occurrences, across offsets', () => {
    expect(iso(nextOccurrence(weekly, new Date('2026-01-12T11:00:00Z'))?.start)).toBe('2026-01-13T11:00:00.000Z');
    expect(iso(nextOccurrence(weekly, new Date('2026-01-13T12:00:00Z'))?.start)).toBe('2026-01-19T10:00:00.000Z');
  });

  it('jumps straight to occurrences years later (no iteration from the start)', () => {
    const second: TimeDescription[] = [{ start: ntp('2026-01-01T00:00:00Z'), stop: 0, repeats: [{ interval: { seconds: 2 }, duration: { seconds: 1 }, offsets: [{ seconds: 0 }] }] }];
    const o = nextOccurrence(second, new Date('2126-01-01T00:00:00.500Z'));
    expect(iso(o?.start)).toBe('2126-01-01T00:00:00.000Z');
  });

  it('is undefined once a bounded session is over, and always there for a permanent one', () => {
    const once: TimeDescription[] = [{ start: ntp('2026-01-01T10:00:00Z'), stop: ntp('2026-01-01T11:00:00Z'), repeats: [] }];
    expect(nextOccurrence(once, new Date('2026-01-01T11:00:00Z'))).toBeUndefined();
    expect(iso(nextOccurrence(once, new Date('2025-01-01T00:00:00Z'))?.start)).toBe('2026-01-01T10:00:00.000Z');
    expect(nextOccurrence([{ start: 0, stop: 0, repeats: [] }], new Date())).toEqual({});
  });

  it('picks the earliest across several time descriptions', () => {
    const o = nextOccurrence(
      [
        { start: ntp('2026-03-01T10:00:00Z'), stop: ntp('2026-03-01T11:00:00Z'), repeats: [] },
        { start: ntp('2026-02-01T10:00:00Z'), stop: ntp('2026-02-01T11:00:00Z'), repeats: [] },
      ],
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(iso(o?.start)).toBe('2026-02-01T10:00:00.000Z');
  });
});

describe('repeat series (what a calendar writes as rules)', () => {
  const day = 86_400;
  /** Every occurrence the series give, up to `until`, sorted. */
  const fromSeries = (series: RepeatSeries[], until: Date): string[] =>
    series
      .flatMap((r) => {
        const out: string[] = [];
        for (let k = 0; k < (r.count ?? Infinity); k += 1) {
          const start = r.first.getTime() + k * r.intervalSeconds * 1000;
          if (start >= until.getTime()) break;
          out.push(`${new Date(start).toISOString()}/${new Date(start + r.durationSeconds * 1000).toISOString()}`);
        }
        return out;
      })
      .sort();
  /** Every occurrence nextOccurrence walks to, up to `until` (the schedules here do not overlap). */
  const walked = (times: TimeDescription[], until: Date): string[] => {
    const out: string[] = [];
    for (let after = new Date(0); ; ) {
      const o = nextOccurrence(times, after);
      if (!o?.start || o.start >= until) return out;
      out.push(`${o.start.toISOString()}/${o.end!.toISOString()}`);
      after = o.end!;
    }
  };
  const weeklyRepeat = { interval: { seconds: 7 * day, unit: 'd' as const }, duration: { seconds: 3600, unit: 'h' as const }, offsets: [{ seconds: 0 }, { seconds: day + 3600 }] };

  it('gives one series per offset, and the occurrence the stop time cuts short as its own', () => {
    // Stops 30 minutes into the fifth Monday: four whole Mondays, then a half hour.
    const times: TimeDescription[] = [{ start: ntp('2026-01-05T10:00:00Z'), stop: ntp('2026-02-02T10:30:00Z'), repeats: [weeklyRepeat] }];
    const series = repeatSeries(times, 0);
    expect(series.map((r) => [r.first.toISOString(), r.durationSeconds, r.count])).toEqual([
      ['2026-01-05T10:00:00.000Z', 3600, 4],
      ['2026-02-02T10:00:00.000Z', 1800, 1],
      ['2026-01-06T11:00:00.000Z', 3600, 4],
    ]);
    const until = new Date('2027-01-01T00:00:00Z');
    expect(fromSeries(series, until)).toEqual(walked(times, until));
  });

  it('cuts a series where z= changes the shift, and leaves the last part of an unbounded one without a count', () => {
    const times: TimeDescription[] = [
      {
        start: ntp('2026-10-05T10:00:00Z'),
        stop: 0,
        repeats: [weeklyRepeat],
        zones: [
          { time: ntp('2026-10-25T01:00:00Z'), offset: { seconds: -3600, unit: 'h' } },
          { time: ntp('2027-03-28T01:00:00Z'), offset: { seconds: 0 } },
        ],
      },
    ];
    const series = repeatSeries(times, 0);
    expect(series.map((r) => [r.first.toISOString(), r.count])).toEqual([
      ['2026-10-05T10:00:00.000Z', 3],
      ['2026-10-26T09:00:00.000Z', 22],
      ['2027-03-29T10:00:00.000Z', undefined],
      ['2026-10-06T11:00:00.000Z', 3],
      ['2026-10-27T10:00:00.000Z', 22],
      ['2027-03-30T11:00:00.000Z', undefined],
    ]);
    const until = new Date('2028-01-01T00:00:00Z');
    expect(fromSeries(series, until)).toEqual(walked(times, until));
  });
});
