/**
 * Busy polling after a lone client's answer (src/ldap/busy-poll.ts): the policy on its own,
 * the poller on the real event loop, and `serve --busy-poll` through the wire, where what
 * shows is CPU time: polling costs CPU while one client pauses between requests, and none
 * once it has gone.
 */
import { Client } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuSeconds } from '../../bench/proc.js';
import { BusyPoller, BusyPollPolicy, SHARED_WINDOW_MS } from '../../src/ldap/busy-poll.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('BusyPollPolicy', () => {
  const a = {};
  const b = {};

  it('polls for the window after a lone connection is answered, and is extended by the next answer', () => {
    const policy = new BusyPollPolicy(200);
    expect(policy.polling(0)).toBe(false);
    expect(policy.idle(a, 1000)).toBe(true);
    expect(policy.polling(1000.1)).toBe(true);
    expect(policy.polling(1000.2)).toBe(false);
    expect(policy.idle(a, 1000.15)).toBe(true);
    expect(policy.polling(1000.3)).toBe(true);
    expect(policy.polling(1000.35)).toBe(false);
  });

  it('never polls with a window of 0', () => {
    const policy = new BusyPollPolicy(0);
    expect(policy.idle(a, 1000)).toBe(false);
    expect(policy.polling(1000)).toBe(false);
  });

  it('stops polling while several connections are active, and polls again once one is left', () => {
    const policy = new BusyPollPolicy(200);
    expect(policy.idle(a, 1000)).toBe(true);
    // b is answered 0.1 ms after a, inside a's window: two clients; the polling a's answer
    // started ends at once.
    expect(policy.polling(1000.1)).toBe(true);
    expect(policy.idle(b, 1000.1)).toBe(false);
    expect(policy.polling(1000.15)).toBe(false);
    expect(policy.idle(a, 1002)).toBe(false);
    // Only a, for longer than the shared window: a lone client again.
    expect(policy.idle(a, 1002 + SHARED_WINDOW_MS / 2)).toBe(false);
    expect(policy.idle(a, 1002 + SHARED_WINDOW_MS + 0.1)).toBe(true);
  });

  it('treats clients taking turns further apart than the shared window as lone clients', () => {
    const policy = new BusyPollPolicy(200);
    expect(policy.idle(a, 1000)).toBe(true);
    expect(policy.idle(b, 1000 + SHARED_WINDOW_MS + 1)).toBe(true);
  });
});

describe('BusyPoller', () => {
  // What shows is the event loop's idle time (time blocked waiting for events): a loop kept
  // polling has next to none, a loop that sleeps is idle nearly all the time. This test
  // itself only waits on timers, which let the loop sleep.
  const WINDOW_MS = 50;

  /** Resolves once `poller` stops running; checks every millisecond with a timer. */
  async function untilStopped(poller: BusyPoller): Promise<void> {
    while (poller.running) await sleep(1);
  }

  /**
   * The lowest event-loop utilization seen over waits of WINDOW_MS (up to ten, until one is
   * below a half). A loop kept polling is never idle, whatever the load; a sleeping one is
   * idle for most of a wait, unless the machine took the CPU from this process right after it
   * set its timer, hence the retries.
   */
  async function sleepingUtilization(): Promise<number> {
    let lowest = 1;
    for (let i = 0; i < 10 && lowest >= 0.5; i += 1) {
      const before = performance.eventLoopUtilization();
      await sleep(WINDOW_MS);
      lowest = Math.min(lowest, performance.eventLoopUtilization(before).utilization);
    }
    return lowest;
  }

  it('keeps the event loop polling for its window, then lets it sleep', async () => {
    const poller = new BusyPoller(WINDOW_MS * 1000);
    const started = performance.now();
    const before = performance.eventLoopUtilization();
    poller.idle({});
    expect(poller.running).toBe(true);
    await untilStopped(poller);
    const polling = performance.eventLoopUtilization(before);
    expect(performance.now() - started, 'stopped before its window').toBeGreaterThanOrEqual(WINDOW_MS);
    // The loop was busy, not waiting, for (nearly) all of the window.
    expect(polling.utilization, JSON.stringify(polling)).toBeGreaterThan(0.8);
    // Then asleep: the same wait, now with the loop idle.
    expect(await sleepingUtilization()).toBeLessThan(0.5);
    expect(poller.running).toBe(false);
  });

  it('is extended by the next answer to a lone client, and stops at once for several', async () => {
    const poller = new BusyPoller(WINDOW_MS * 1000);
    const lone = {};
    // The second answer must come while the first window runs; a machine too busy to wake
    // this test within it gets another try.
    let started = 0;
    let extended = 0;
    for (let attempt = 0; attempt < 10 && extended === 0; attempt += 1) {
      await untilStopped(poller);
      await sleep(SHARED_WINDOW_MS * 2);
      started = performance.now();
      poller.idle(lone);
      await sleep(WINDOW_MS / 2);
      if (poller.running && performance.now() - started < WINDOW_MS * 0.9) {
        extended = performance.now();
        poller.idle(lone);
      }
    }
    expect(extended, 'never woke within the window').toBeGreaterThan(0);
    await untilStopped(poller);
    expect(performance.now() - extended, 'the second answer extends the window').toBeGreaterThanOrEqual(WINDOW_MS);
    expect(performance.now() - started).toBeGreaterThanOrEqual(WINDOW_MS * 1.4);
    // Another connection answered within the shared window: the polling ends.
    await sleep(SHARED_WINDOW_MS * 2);
    poller.idle(lone);
    expect(poller.running).toBe(true);
    poller.idle({});
    // The poller's next turn sees it and stops: two turns of the loop later it has.
    for (let i = 0; i < 2; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(poller.running).toBe(false);
    expect(await sleepingUtilization()).toBeLessThan(0.5);
  });

  it('does nothing with a window of 0', async () => {
    const poller = new BusyPoller(0);
    poller.idle({});
    expect(poller.running).toBe(false);
    expect(await sleepingUtilization()).toBeLessThan(0.5);
  });
});

describe('serve --busy-poll', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  /** One client searching the root DSE `count` times, pausing `pauseMs` between; the server's CPU seconds meanwhile. */
  async function loneClientCpu(s: TestServer, count: number, pauseMs: number): Promise<number> {
    const client = new Client({ url: s.url });
    try {
      await client.search('', { scope: 'base', attributes: ['namingContexts'] });
      const before = cpuSeconds(s.pid);
      for (let i = 0; i < count; i += 1) {
        const { searchEntries } = await client.search('', { scope: 'base', attributes: ['namingContexts'] });
        expect(searchEntries).toHaveLength(1);
        await sleep(pauseMs);
      }
      return cpuSeconds(s.pid) - before;
    } finally {
      await client.unbind();
    }
  }

  it('polls while a lone client pauses between requests (CPU), and uses none once it has gone', async () => {
    server = await startServer({ args: ['--workers', '1', '--busy-poll', '0'] });
    const sleeping = await loneClientCpu(server, 250, 4);
    await server.stop();
    server = await startServer({ args: ['--workers', '1', '--busy-poll', '20000'] });
    const polling = await loneClientCpu(server, 250, 4);
    console.log(`250 searches 4 ms apart: server CPU ${sleeping.toFixed(2)} s sleeping, ${polling.toFixed(2)} s polling for 20 ms`);
    // About 1 s of pauses is polled through; even with the machine busy, well over a quarter of it.
    expect(polling - sleeping).toBeGreaterThan(0.25);
    await sleep(200);
    const before = cpuSeconds(server.pid);
    await sleep(1000);
    expect(cpuSeconds(server.pid) - before).toBeLessThan(0.15);
  });

  it('refuses a window that is not a number of microseconds from 0 to 100000, in one line', async () => {
    for (const value of ['-1', 'fast', '100001']) {
      const r = await runCli(['serve', '--busy-poll', value, '--port', '0', '--db', ':memory:']);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--busy-poll');
    }
  });
});
