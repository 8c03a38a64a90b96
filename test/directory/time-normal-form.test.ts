/**
 * The normal form of generalizedTime values (generalizedTimeMatch and its ordering): times in
 * the form the directory writes (YYYYMMDDHHMMSSZ) are read from their digits, any other form
 * through a Date. Both roads must give the same key, and reject the same invalid times.
 */
import { describe, expect, it } from 'vitest';
import { normalize, timeKey } from '../../src/directory/model/matching.js';
import { parseGeneralizedTime } from '../../src/sdp/time.js';

const RULES = { equality: 'generalizedTimeMatch', ordering: 'generalizedTimeOrderingMatch' };
const throughDate = (v: string): string | undefined => {
  const date = parseGeneralizedTime(v.trim());
  return date ? timeKey(date) : undefined;
};

describe('generalizedTime normal form', () => {
  it('is the key a Date gives, for valid and invalid times in the canonical form', () => {
    const cases = [
      '20270102100000Z', '20240229235959Z', '20000229000000Z', '00000101000000Z', '99991231235959Z',
      '20230229000000Z', '19000229000000Z', '20231301000000Z', '20230001000000Z', '20230431000000Z',
      '20230100000000Z', '20230430240000Z', '20230430236000Z', '20230101000060Z', '2023a101000000Z',
    ];
    // Random times, and each with one digit changed (often invalid: month 19, day 39...).
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 5000; i += 1) {
      const v = `${new Date(random() * 4e12 - 1e12).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
      const at = Math.floor(random() * 14);
      cases.push(v, `${v.slice(0, at)}${Math.floor(random() * 10)}${v.slice(at + 1)}`);
    }
    for (const v of cases) expect(normalize(RULES, v), v).toBe(throughDate(v));
    expect(normalize(RULES, '20240229235959Z')).toBe('20240229235959000Z');
    expect(normalize(RULES, '20230229000000Z')).toBeUndefined();
  });

  it('gives other forms (offsets, fractions, no seconds, spaces) their UTC key', () => {
    expect(normalize(RULES, '202701021100+0100')).toBe('20270102100000000Z');
    expect(normalize(RULES, '20270102100000.5Z')).toBe('20270102100000500Z');
    expect(normalize(RULES, ' 20270102100000Z ')).toBe('20270102100000000Z');
    expect(normalize(RULES, '20270102100000z')).toBeUndefined();
  });
});
