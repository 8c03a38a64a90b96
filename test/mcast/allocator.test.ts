/**
 * The allocator over a real SQLite database: leases never overlap in address and time,
 * renew, release and expiry free what they should, state survives reopening, and a scope
 * filled to the last address still allocates through indexes, not scans.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Allocator, leaseAddresses, type Lease } from '../../src/mcast/allocator.js';
import { DEFAULT_SCOPES, parseScopeSpec, poolSize } from '../../src/mcast/scopes.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 0, 1);
const SMALL = parseScopeSpec('239.255.10.0/23,8,Lab'); // 256 allocatable addresses

const open: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function allocator(scopes = [SMALL], clock = { now: T0 }, path = ':memory:'): { alloc: Allocator; clock: { now: number }; db: SqliteDatabase } {
  const db = openDatabase(path);
  open.push(db);
  return { alloc: new Allocator(db, scopes, { now: () => clock.now }), clock, db };
}

const ok = (r: ReturnType<Allocator['request']>): Lease => {
  if (!r.ok) throw new Error(`${r.failure}: ${r.message}`);
  return r.lease;
};

describe('allocator', () => {
  it('grants consecutive addresses for the window asked for', () => {
    const { alloc } = allocator();
    const lease = ok(alloc.request({ leaseId: 'aa', scopeId: SMALL.id, start: T0 + HOUR, duration: HOUR, minimum: 1, desired: 4, client: '127.0.0.1:5000' }));
    expect(lease).toMatchObject({ leaseId: 'aa', first: '239.255.10.0', last: '239.255.10.3', count: 4, start: T0 + HOUR, end: T0 + 2 * HOUR, client: '127.0.0.1:5000' });
    expect(leaseAddresses(lease)).toEqual(['239.255.10.0', '239.255.10.1', '239.255.10.2', '239.255.10.3']);
    expect(alloc.lease('aa')).toEqual(lease);
    expect(alloc.freeCount(SMALL.id)).toBe(252);
  });

  it('refuses a second lease under one identifier, unknown scopes and too many addresses', () => {
    const { alloc } = allocator();
    ok(alloc.request({ leaseId: 'aa', scopeId: SMALL.id }));
    expect(alloc.request({ leaseId: 'aa', scopeId: SMALL.id })).toMatchObject({ ok: false, failure: 'leaseExists' });
    expect(alloc.request({ leaseId: 'bb', scopeId: '239.1.1.1' })).toMatchObject({ ok: false, failure: 'unknownScope' });
    expect(alloc.request({ leaseId: 'bb', scopeId: SMALL.id, minimum: 300 })).toMatchObject({ ok: false, failure: 'refused' });
  });

  it('offers without granting', () => {
    const { alloc } = allocator();
    const offer = ok(alloc.offer({ leaseId: 'aa', scopeId: SMALL.id }));
    expect(offer.first).toBe('239.255.10.0');
    expect(alloc.lease('aa')).toBeUndefined();
    expect(alloc.freeCount(SMALL.id)).toBe(256);
  });

  it('exhausts a small scope, then reuses an address for a later window, and a released one at once', () => {
    const { alloc } = allocator();
    const leases = Array.from({ length: 256 }, (_, i) => ok(alloc.request({ leaseId: `l${i}`, scopeId: SMALL.id, duration: HOUR })));
    expect(new Set(leases.map((l) => l.first)).size).toBe(256);
    expect(alloc.request({ leaseId: 'x', scopeId: SMALL.id, duration: HOUR })).toMatchObject({ ok: false, failure: 'unavailable', message: expect.stringMatching(/no address free in Lab/) });
    // Every address is busy for the next hour, but free after it.
    const later = ok(alloc.request({ leaseId: 'later', scopeId: SMALL.id, start: T0 + 2 * HOUR, duration: HOUR }));
    expect(later.first).toBe('239.255.10.0');
    // A lease overlapping both is impossible until one address is released.
    expect(alloc.request({ leaseId: 'y', scopeId: SMALL.id, duration: 3 * HOUR })).toMatchObject({ ok: false });
    expect(alloc.release('l7')?.first).toBe('239.255.10.7');
    expect(ok(alloc.request({ leaseId: 'y', scopeId: SMALL.id, duration: 3 * HOUR })).first).toBe('239.255.10.7');
  });

  it('never gives the same address to overlapping windows', () => {
    const { alloc } = allocator();
    const windows = [0, 1, 2, 3].map((h) => ({ start: T0 + h * HOUR, duration: 2 * HOUR }));
    const leases: Lease[] = [];
    for (let i = 0; i < 600; i += 1) {
      const r = alloc.request({ leaseId: `k${i}`, scopeId: SMALL.id, ...windows[i % 4]!, desired: 1 + (i % 3) });
      if (r.ok) leases.push(r.lease);
    }
    for (const [i, a] of leases.entries()) {
      for (const b of leases.slice(i + 1)) {
        const sameAddress = leaseAddresses(a).some((x) => leaseAddresses(b).includes(x));
        expect(sameAddress && a.start < b.end && b.start < a.end, `${a.leaseId} and ${b.leaseId}`).toBe(false);
      }
    }
    expect(leases.length).toBeGreaterThan(256);
  });

  it('renews, refusing to run into another lease of the same address', () => {
    const { alloc, clock } = allocator();
    const a = ok(alloc.request({ leaseId: 'a', scopeId: SMALL.id, duration: HOUR }));
    clock.now += HOUR / 2;
    expect(ok(alloc.renew('a', { duration: 2 * HOUR }))).toMatchObject({ first: a.first, start: clock.now, end: clock.now + 2 * HOUR });
    for (let i = 0; i < 255; i += 1) ok(alloc.request({ leaseId: `f${i}`, scopeId: SMALL.id, duration: HOUR }));
    const b = ok(alloc.request({ leaseId: 'b', scopeId: SMALL.id, start: clock.now + 3 * HOUR, duration: HOUR }));
    expect(b.first).toBe(a.first);
    expect(alloc.renew('a', { duration: 4 * HOUR })).toMatchObject({ ok: false, failure: 'unavailable' });
    expect(alloc.renew('nope', {})).toMatchObject({ ok: false, failure: 'unknownLease' });
    // Without a lease time, the maximum available: up to where the other lease of the address begins.
    expect(ok(alloc.renew('a', {}))).toMatchObject({ first: a.first, start: clock.now, end: b.start });
    expect(alloc.renew('a', { minimumDuration: 4 * HOUR })).toMatchObject({ ok: false, failure: 'unavailable' });
  });

  it('renews without Lease Time or Start Time as RFC 2730 §2.2.7 says: as soon as possible, the maximum available', () => {
    const { alloc, clock } = allocator();
    const booked = ok(alloc.request({ leaseId: 'later', scopeId: SMALL.id, start: T0 + 24 * HOUR, duration: HOUR }));
    clock.now += HOUR;
    const renewed = ok(alloc.renew('later', {}));
    expect(renewed).toMatchObject({ first: booked.first, start: clock.now, end: clock.now + alloc.limits.maximumDuration });
    // With a Start Time and Lease Time, those are what counts.
    expect(ok(alloc.renew('later', { start: T0 + 48 * HOUR, duration: 2 * HOUR }))).toMatchObject({ start: T0 + 48 * HOUR, end: T0 + 50 * HOUR });
  });

  it('expires leases at their end and frees their addresses', () => {
    const { alloc, clock } = allocator();
    ok(alloc.request({ leaseId: 'a', scopeId: SMALL.id, duration: HOUR, desired: 10 }));
    expect(alloc.freeCount(SMALL.id)).toBe(246);
    clock.now += HOUR;
    expect(alloc.expire().map((l) => l.leaseId)).toEqual(['a']);
    expect(alloc.lease('a')).toBeUndefined();
    expect(alloc.freeCount(SMALL.id)).toBe(256);
  });

  it('keeps leases across reopening, and rebuilds the free list when a pool changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rendezvous-mcast-'));
    try {
      const path = join(dir, 'r.db');
      const first = allocator([SMALL], { now: T0 }, path);
      ok(first.alloc.request({ leaseId: 'a', scopeId: SMALL.id, duration: HOUR, desired: 3 }));
      first.db.close();
      open.splice(open.indexOf(first.db), 1);
      const second = allocator([SMALL], { now: T0 }, path);
      expect(second.alloc.lease('a')).toMatchObject({ first: '239.255.10.0', count: 3 });
      expect(ok(second.alloc.request({ leaseId: 'b', scopeId: SMALL.id })).first).toBe('239.255.10.3');
      second.db.close();
      open.splice(open.indexOf(second.db), 1);
      const wider = parseScopeSpec('239.255.10.0-239.255.12.255,8,Lab');
      const third = allocator([wider], { now: T0 }, path);
      expect(third.alloc.freeCount(wider.id)).toBe(512 - 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds holders of a group for clash detection', () => {
    const { alloc } = allocator();
    ok(alloc.request({ leaseId: 'a', scopeId: SMALL.id, start: T0, duration: HOUR, desired: 4 }));
    expect(alloc.holders('239.255.10.2', 1, { start: T0, end: T0 + 1 }).map((l) => l.leaseId)).toEqual(['a']);
    expect(alloc.holders('239.255.10.4', 1, { start: T0, end: T0 + 1 })).toEqual([]);
    expect(alloc.holders('239.255.9.255', 2, { start: T0, end: T0 + 1 }).map((l) => l.leaseId)).toEqual(['a']);
    expect(alloc.holders('239.255.10.2', 1, { start: T0 + HOUR, end: T0 + 2 * HOUR })).toEqual([]);
  });

  it('fills the 65,280 addresses of the Local Scope one lease at a time, staying fast to the last one', () => {
    const { alloc } = allocator([DEFAULT_SCOPES[0]!]);
    const local = DEFAULT_SCOPES[0]!;
    const size = poolSize(local);
    // Scatter the leases first so the free list is fragmented, as a long-running server's is.
    const times: number[] = [];
    for (let i = 0; i < size; i += 1) {
      const t = performance.now();
      const r = alloc.request({ leaseId: `n${i}`, scopeId: local.id, duration: HOUR + (i % 7) * 60_000 });
      times.push(performance.now() - t);
      if (!r.ok) throw new Error(`allocation ${i} failed: ${r.message}`);
      if (i % 97 === 3) alloc.release(`n${i - 2}`) && ok(alloc.request({ leaseId: `m${i}`, scopeId: local.id, duration: HOUR }));
    }
    expect(alloc.freeCount(local.id)).toBe(0);
    expect(alloc.request({ leaseId: 'full', scopeId: local.id, duration: HOUR })).toMatchObject({ ok: false, failure: 'unavailable' });
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = mean(times.slice(0, 1000));
    const late = mean(times.slice(-1000));
    // A scan of the pool or of the leases would make the last allocations hundreds of times
    // slower than the first; through the size index they cost about the same.
    expect(late).toBeLessThan(Math.max(early * 5, 0.5));
    // And the statements each allocation runs are index searches, never table scans.
    const plans = alloc.explain();
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) expect(plan).toMatch(/^SEARCH mcast_\w+ USING (COVERING )?INDEX/);
    // One release makes exactly that address available again.
    const gone = alloc.release('n40000')!;
    expect(ok(alloc.request({ leaseId: 'again', scopeId: local.id, duration: HOUR })).first).toBe(gone.first);
  }, 120_000);
});
