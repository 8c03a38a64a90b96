/**
 * Times and durations as people type them on the command line.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseDuration, parseTime } from '../../src/cli/time-options.js';

describe('parseTime', () => {
  const now = new Date('2030-01-02T03:04:05.678Z');

  it('reads now, and ISO 8601 with an offset as that instant', () => {
    expect(parseTime('now', '--start', now)).toEqual(now);
    expect(parseTime('NOW', '--start', now)).toEqual(now);
    expect(parseTime('2030-06-01T12:30:00Z', '--start')).toEqual(new Date(Date.UTC(2030, 5, 1, 12, 30)));
    expect(parseTime('2030-06-01T12:30+02:00', '--start')).toEqual(new Date(Date.UTC(2030, 5, 1, 10, 30)));
    expect(parseTime('2030-06-01T12:30:15.25-0130', '--start')).toEqual(new Date(Date.UTC(2030, 5, 1, 14, 0, 15, 250)));
  });

  it('reads a time without an offset, or a date alone, in the local time zone', () => {
    expect(parseTime('2030-06-01T12:30', '--start')).toEqual(new Date(2030, 5, 1, 12, 30));
    expect(parseTime('2030-06-01 12:30:45', '--start')).toEqual(new Date(2030, 5, 1, 12, 30, 45));
    expect(parseTime('2030-06-01', '--start')).toEqual(new Date(2030, 5, 1));
  });

  it('refuses what is not a time, or a date that does not exist, naming the option', () => {
    for (const text of ['tomorrow', '2030-6-1', '12:30', '2030-06-01T25:00', '2030-02-30', '2030-13-01T00:00Z', '']) {
      expect(() => parseTime(text, '--from'), text).toThrow(UsageError);
    }
    expect(() => parseTime('2030-02-30', '--from')).toThrow(/^--from: '2030-02-30' is not a valid date$/);
  });
});

describe('parseDuration', () => {
  it('reads seconds and SDP typed times', () => {
    expect(parseDuration('90', '--duration')).toBe(90);
    expect(parseDuration('30m', '--duration')).toBe(1800);
    expect(parseDuration('2h', '--duration')).toBe(7200);
    expect(parseDuration('1d', '--duration')).toBe(86400);
  });

  it('refuses zero, negatives and other units', () => {
    for (const text of ['0', '0m', '-5m', '1w', 'm', '1.5h']) expect(() => parseDuration(text, '--duration'), text).toThrow(UsageError);
  });
});
