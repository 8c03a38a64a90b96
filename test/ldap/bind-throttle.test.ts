/**
 * The failed-bind throttle's policy, on its pure scheduler (the wire probes are in
 * test/abuse/bind-throttle.test.ts): turns per source, forgiveness, forgetting, and the
 * bound on what it remembers.
 */
import { describe, expect, it } from 'vitest';
import { BindThrottle, DEFAULT_BIND_THROTTLE, scaledBindThrottle } from '../../src/ldap/bind-throttle.js';

/** Requests n checks from `address` for `account`; returns their ids. */
const request = (throttle: BindThrottle, n: number, address: string, account: string): number[] => Array.from({ length: n }, () => throttle.request(address, account));

describe('BindThrottle', () => {
  it('starts 4 checks at once from a clean source, then one at a time once it has failed', () => {
    const throttle = new BindThrottle();
    const ids = request(throttle, 10, '10.0.0.1', 'alice');
    const first = throttle.due(0);
    expect(first.start).toEqual(ids.slice(0, 4));
    for (const id of first.start) throttle.finish(id, 'failed', 100);
    // Four failures: the next check waits 2 s after the last, and runs alone.
    expect(throttle.due(100)).toEqual({ start: [], wakeAt: 2100 });
    expect(throttle.due(2100).start).toEqual([ids[4]]);
    expect(throttle.due(5000).start).toEqual([]);
  });

  it('never delays a source without failures, whatever the account has suffered elsewhere', () => {
    const throttle = new BindThrottle();
    for (let i = 0; i < 20; i += 1) {
      const [id] = request(throttle, 1, `10.0.1.${i}`, 'alice');
      throttle.due(i);
      throttle.finish(id!, 'failed', i);
    }
    const [clean] = request(throttle, 1, '10.0.0.1', 'alice');
    expect(throttle.due(20).start).toEqual([clean]);
    // A source that took part waits for the account's 20 failures: 8 s after its own.
    const [again] = request(throttle, 1, '10.0.1.0', 'alice');
    expect(throttle.due(20)).toEqual({ start: [], wakeAt: 8000 });
    expect(throttle.due(8000).start).toEqual([again]);
  });

  it('forgives a source its failures for an account once it binds as it', () => {
    const throttle = new BindThrottle();
    for (let i = 0; i < 3; i += 1) {
      const [id] = request(throttle, 1, '10.0.0.1', 'alice');
      throttle.due(i * 10_000);
      throttle.finish(id!, 'failed', i * 10_000);
    }
    const [right] = request(throttle, 1, '10.0.0.1', 'alice');
    throttle.due(30_000);
    expect(throttle.finish(right!, 'succeeded', 30_000)).toEqual({ failures: 0, nextDelayMs: 0 });
    expect(throttle.tracked).toBe(0);
  });

  it('withdraws a waiting check, and forgets failures after 15 minutes', () => {
    const throttle = new BindThrottle();
    const [a] = request(throttle, 1, '10.0.0.1', 'alice');
    throttle.due(0);
    throttle.finish(a!, 'failed', 0);
    const [b] = request(throttle, 1, '10.0.0.1', 'alice');
    expect(throttle.due(100).start).toEqual([]);
    expect(throttle.cancel(b!)).toBe(true);
    expect(throttle.due(1000).start).toEqual([]);
    const [c] = request(throttle, 1, '10.0.0.1', 'alice');
    expect(throttle.due(DEFAULT_BIND_THROTTLE.forgetAfterMs + 1).start).toEqual([c]);
  });

  it('scales the delays with --bind-delay-base: the first step, doubling to 32 times it; 0 delays nothing', () => {
    /** nextDelayMs after each of `n` failures from one source, one check at a time. */
    const delays = (baseDelayMs: number, n: number): number[] => {
      const throttle = new BindThrottle(scaledBindThrottle(baseDelayMs));
      let now = 0;
      return Array.from({ length: n }, () => {
        const [id] = request(throttle, 1, '10.0.0.1', 'alice');
        let turn = throttle.due(now);
        if (turn.start.length === 0 && turn.wakeAt !== undefined) turn = throttle.due((now = turn.wakeAt));
        expect(turn.start).toEqual([id]);
        return throttle.finish(id!, 'failed', now).nextDelayMs;
      });
    };
    expect(delays(10, 8)).toEqual([10, 20, 40, 80, 160, 320, 320, 320]);
    expect(delays(0, 4)).toEqual([0, 0, 0, 0]);
    expect(scaledBindThrottle(DEFAULT_BIND_THROTTLE.baseDelayMs)).toEqual(DEFAULT_BIND_THROTTLE);
    expect(delays(250, 7)).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000]);
  });

  it('keeps at most maxTracked records, however many sources and accounts fail', () => {
    const throttle = new BindThrottle({ ...DEFAULT_BIND_THROTTLE, maxTracked: 1000 });
    for (let i = 0; i < 20_000; i += 1) {
      const [id] = request(throttle, 1, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `account-${i}-${'x'.repeat(i % 300)}`);
      throttle.due(i);
      throttle.finish(id!, 'failed', i);
      expect(throttle.tracked).toBeLessThanOrEqual(1000);
    }
  });
});
