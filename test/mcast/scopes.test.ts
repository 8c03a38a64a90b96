/**
 * Scopes and the allocation policy: pure functions, tested directly.
 */
import { describe, expect, it } from 'vitest';
import { canonicalAddress, formatAddress, parseAddress } from '../../src/mcast/address.js';
import { DEFAULT_LEASE_LIMITS, firstGap, grantWindow, subtractRuns } from '../../src/mcast/policy.js';
import { addressAt, checkScopes, DEFAULT_SCOPES, defineScope, matchScope, parseScopeSpec, poolSize, ScopeError } from '../../src/mcast/scopes.js';

describe('addresses', () => {
  it.each([
    ['239.255.0.1', '239.255.0.1'],
    ['FF15::8000:1', 'ff15::8000:1'],
    ['ff15:0:0:0:0:0:8000:1', 'ff15::8000:1'],
    ['ff02:0:0:1:0:0:0:1', 'ff02:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['::', '::'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalAddress(text)).toBe(canonical);
    const a = parseAddress(text)!;
    expect(formatAddress(a.family, a.value)).toBe(canonical);
  });

  it('refuses what is not an address', () => {
    expect(parseAddress('239.255.0')).toBeUndefined();
    expect(parseAddress('fe80::1%eth0')).toBeUndefined();
  });
});

describe('scopes', () => {
  it('keeps the top /24 of an IPv4 admin scope out of the pool (RFC 2365 §9)', () => {
    const local = DEFAULT_SCOPES[0]!;
    expect(local).toMatchObject({ id: '239.255.0.0', ttl: 16, description: 'Local Scope' });
    expect(formatAddress('ipv4', local.last)).toBe('239.255.255.255');
    expect(poolSize(local)).toBe(65_536 - 256);
    expect(addressAt(local, poolSize(local) - 1)).toBe('239.255.254.255');
    const org = DEFAULT_SCOPES[1]!;
    expect(org.id).toBe('239.192.0.0');
    expect(addressAt(org, poolSize(org) - 1)).toBe('239.195.254.255');
  });

  it('hands out IPv6 transient groups with dynamic group IDs only (RFC 3307 §4)', () => {
    const site = DEFAULT_SCOPES.find((s) => s.id === 'ff15::')!;
    expect(addressAt(site, 0)).toBe('ff15::8000:0');
    expect(addressAt(site, poolSize(site) - 1)).toBe('ff15::ffff:ffff');
    expect(poolSize(site)).toBe(2 ** 31);
    expect(() => defineScope('ff05::/16', 255, 'permanent')).toThrow(/T flag/);
    expect(() => defineScope('ff15::/112', 255, 'too long')).toThrow(/at most 96 bits/);
  });

  it('reads --scope values', () => {
    const s = parseScopeSpec('239.255.10.0/23,8,Lab, second floor');
    expect(s).toMatchObject({ id: '239.255.10.0', ttl: 8, description: 'Lab, second floor' });
    expect(poolSize(s)).toBe(256);
    expect(parseScopeSpec('224.2.128.0-224.2.128.9,127,SAP dynamic')).toMatchObject({ id: '224.2.128.0' });
    expect(poolSize(parseScopeSpec('224.2.128.0-224.2.128.9,127,SAP dynamic'))).toBe(10);
    for (const bad of ['239.255.0.0/16,16', '239.255.0.0/16,300,x', '10.0.0.0/8,16,x', '239.255.0.0/24,1,tiny', '239.255.0.1/16,1,x', 'nonsense,1,x']) {
      expect(() => parseScopeSpec(bad), bad).toThrow(ScopeError);
    }
  });

  it('refuses overlapping scopes', () => {
    expect(() => checkScopes(DEFAULT_SCOPES)).not.toThrow();
    expect(() => checkScopes([...DEFAULT_SCOPES, parseScopeSpec('239.255.10.0/23,8,Lab')])).toThrow(/overlap/);
    expect(() => checkScopes([])).toThrow(/no multicast scope/);
  });

  it('finds a scope by Scope ID, address inside, description or unique prefix', () => {
    const list = DEFAULT_SCOPES.map((s) => ({ id: s.id, last: formatAddress(s.family, s.last), description: s.description }));
    expect(matchScope(list, '239.255.0.0')?.id).toBe('239.255.0.0');
    expect(matchScope(list, '239.193.1.1')?.id).toBe('239.192.0.0');
    expect(matchScope(list, 'local')?.id).toBe('239.255.0.0');
    expect(matchScope(list, 'ORG')?.id).toBe('239.192.0.0');
    expect(matchScope(list, 'ipv6 site-local scope')?.id).toBe('ff15::');
    expect(matchScope(list, 'ipv6')).toBeUndefined();
    expect(matchScope(list, '224.0.0.1')).toBeUndefined();
  });
});

describe('policy', () => {
  const now = 1_000_000_000_000;
  const hour = 3_600_000;

  it('grants the requested window, starting now at the earliest', () => {
    expect(grantWindow({ start: now + hour, duration: hour }, now, DEFAULT_LEASE_LIMITS)).toEqual({ start: now + hour, end: now + 2 * hour });
    expect(grantWindow({ start: now - hour, duration: hour }, now, DEFAULT_LEASE_LIMITS)).toEqual({ start: now, end: now + hour });
    expect(grantWindow({}, now, DEFAULT_LEASE_LIMITS)).toEqual({ start: now, end: now + DEFAULT_LEASE_LIMITS.defaultDuration });
  });

  it('shortens long leases, unless that is below the minimum asked for', () => {
    const limits = { ...DEFAULT_LEASE_LIMITS, maximumDuration: hour };
    expect(grantWindow({ duration: 5 * hour }, now, limits)).toEqual({ start: now, end: now + hour });
    expect(grantWindow({ duration: 5 * hour, minimumDuration: 2 * hour }, now, limits)).toHaveProperty('refused');
    expect(grantWindow({ start: now + 400 * 24 * hour }, now, limits)).toHaveProperty('refused');
    expect(grantWindow({ start: now + hour, maximumStart: now - 1 }, now, limits)).toHaveProperty('refused');
  });

  it('subtracts runs and finds gaps', () => {
    expect(subtractRuns({ lo: 0, hi: 9 }, [{ lo: 2, hi: 3 }, { lo: 3, hi: 5 }, { lo: 9, hi: 12 }])).toEqual([{ lo: 0, hi: 1 }, { lo: 6, hi: 8 }]);
    expect(subtractRuns({ lo: 4, hi: 6 }, [{ lo: 0, hi: 10 }])).toEqual([]);
    expect(firstGap([{ lo: 0, hi: 3 }, { lo: 1, hi: 6 }, { lo: 9, hi: 9 }], 12, 2)).toEqual({ lo: 7, hi: 8 });
    expect(firstGap([{ lo: 0, hi: 3 }, { lo: 1, hi: 6 }, { lo: 9, hi: 9 }], 12, 3)).toBeUndefined();
    expect(firstGap([], 4, 4)).toEqual({ lo: 0, hi: 3 });
  });
});
