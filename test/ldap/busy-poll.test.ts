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
    // b is answered 1 ms after a: two clients; the polling a's answer started ends at once.
    expect(policy.idle(b, 1001)).toBe(false);
    expect(policy.polling(1001)).toBe(false);
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
  it('keeps the event loop polling for its window, then lets it sleep', async () => {
    const poller = new BusyPoller(500);
    const source = {};
    poller.idle(source);
    expect(poller.running).toBe(true);
    let turns = 0;
    const started = performance.now();
    // The poller's own setImmediate chain lets this one's turns run in between.
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        turns += 1;
        if (poller.running) setImmediate(turn);
        else resolve();
      };
      setImmediate(turn);
    });
    expect(turns).toBeGreaterThan(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(0.4);
    await sleep(5);
    expect(poller.running).toBe(false);
  });

  it('does nothing with a window of 0', () => {
    const poller = new BusyPoller(0);
    poller.idle({});
    expect(poller.running).toBe(false);
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
