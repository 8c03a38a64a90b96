import { describe, expect, it } from 'vitest';
import {
  NTP_UNIX_OFFSET,
  dateToNtp,
  dateToOleDate,
  formatTypedTime,
  ntpToDate,
  oleDateToDate,
  parseGeneralizedTime,
  toGeneralizedTime,
  typedTime,
} from '../../src/sdp/index.js';

describe('NTP seconds', () => {
  it('uses the 1900 epoch offset of 2208988800 s', () => {
    expect(NTP_UNIX_OFFSET).toBe(2208988800);
    expect(ntpToDate(2208988800)?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(ntpToDate(3456462448)?.toISOString()).toBe('2009-07-13T08:27:28.000Z');
  });
  it('treats 0 as unbounded', () => {
    expect(ntpToDate(0)).toBeUndefined();
  });
  it('does not wrap in 2036 (SDP times are unbounded decimals)', () => {
    const d = new Date('2040-01-01T00:00:00Z');
    expect(dateToNtp(d)).toBe(d.getTime() / 1000 + 2208988800);
    expect(dateToNtp(d)).toBeGreaterThan(2 ** 32);
    expect(ntpToDate(dateToNtp(d))?.toISOString()).toBe(d.toISOString());
  });
  it('drops fractions of a second and refuses invalid dates', () => {
    expect(dateToNtp(new Date('2026-01-01T00:00:00.999Z'))).toBe(dateToNtp(new Date('2026-01-01T00:00:00Z')));
    expect(() => dateToNtp(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('OLE Automation DATE', () => {
  it('counts days from 1899-12-30', () => {
    expect(oleDateToDate(0).toISOString()).toBe('1899-12-30T00:00:00.000Z');
    expect(oleDateToDate(1.5).toISOString()).toBe('1899-12-31T12:00:00.000Z');
    expect(oleDateToDate(45000.25).toISOString()).toBe('2023-03-15T06:00:00.000Z');
  });
  it('counts the fraction forwards before the epoch (-1.25 is 1899-12-29 06:00)', () => {
    expect(oleDateToDate(-1.25).toISOString()).toBe('1899-12-29T06:00:00.000Z');
    expect(dateToOleDate(new Date('1899-12-29T06:00:00Z'))).toBeCloseTo(-1.25, 10);
    expect(dateToOleDate(new Date('1899-12-29T00:00:00Z'))).toBe(-1);
  });
  it('round-trips to the millisecond', () => {
    for (const iso of ['2026-11-24T04:30:52.123Z', '1999-12-31T23:59:59.999Z', '1800-06-01T12:00:00.000Z']) {
      expect(oleDateToDate(dateToOleDate(new Date(iso))).toISOString()).toBe(iso);
    }
  });
});

describe('generalizedTime', () => {
  it('formats UTC with seconds and Z', () => {
    expect(toGeneralizedTime(new Date('2026-12-01T09:05:07.500Z'))).toBe('20261201090507Z');
  });
  it('parses every RFC 4517 form', () => {
    expect(parseGeneralizedTime('20261201090507Z')?.toISOString()).toBe('2026-12-01T09:05:07.000Z');
    expect(parseGeneralizedTime('2026120109Z')?.toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(parseGeneralizedTime('202612010905Z')?.toISOString()).toBe('2026-12-01T09:05:00.000Z');
    expect(parseGeneralizedTime('20261201090507.25Z')?.toISOString()).toBe('2026-12-01T09:05:07.250Z');
    expect(parseGeneralizedTime('2026120109.5Z')?.toISOString()).toBe('2026-12-01T09:30:00.000Z');
    expect(parseGeneralizedTime('20261201090507+0100')?.toISOString()).toBe('2026-12-01T08:05:07.000Z');
    expect(parseGeneralizedTime('20261201090507-05')?.toISOString()).toBe('2026-12-01T14:05:07.000Z');
  });
  it('refuses what is not a generalizedTime', () => {
    for (const bad of ['', '20261201', '20261301000000Z', '20260230000000Z', '20261201250000Z', '20261201000000', '2026-12-01T00:00:00Z', '20261201000000+2500']) {
      expect(parseGeneralizedTime(bad), bad).toBeUndefined();
    }
  });
});

describe('typed times', () => {
  it('writes the unit it was read with when it divides the value', () => {
    expect(formatTypedTime({ seconds: 604800, unit: 'd' })).toBe('7d');
    expect(formatTypedTime({ seconds: -3600, unit: 'h' })).toBe('-1h');
    expect(formatTypedTime({ seconds: 90, unit: 'm' })).toBe('90');
    expect(formatTypedTime({ seconds: 25, unit: 's' })).toBe('25s');
    expect(formatTypedTime({ seconds: 3600 })).toBe('3600');
  });
  it('chooses the largest unit for new values', () => {
    expect(typedTime(604800)).toEqual({ seconds: 604800, unit: 'd' });
    expect(typedTime(90000)).toEqual({ seconds: 90000, unit: 'h' });
    expect(typedTime(0)).toEqual({ seconds: 0 });
    expect(typedTime(61)).toEqual({ seconds: 61 });
  });
});
