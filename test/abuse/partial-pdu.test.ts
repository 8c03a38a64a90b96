/**
 * Incomplete PDUs and slow clients (issue 22, items 4 and 7). A PDU used to be buffered
 * whole whatever its sender, re-joined on every read (a 4 MiB PDU in 1 KiB pieces cost
 * 5.9 s of CPU), with nothing to make it finish: 200 connections each holding 4 MiB − 1
 * byte took 910 MB, and 1,000 connections trickling a byte a second held the server full
 * for as long as they liked. Now: PDUs above --max-pdu-anonymous (256 KiB) only after a
 * bind; framing is linear; the bytes held for incomplete PDUs come out of a per-process
 * budget (--partial-pdu-budget); a PDU must arrive within --pdu-timeout and at
 * --min-pdu-rate; the idle timeout counts from the last complete request; refusals and
 * disconnections are logged once per source per interval, with a count.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpuSeconds } from '../../bench/proc.js';
import { describeRss, logLines, max, median, Reader, rssGrowth, serverRss, settledRss, sleep, usualLatencyBound } from '../helpers/abuse.js';
import { berString, decodeMessages, ldapMessage, NOTICE_OF_DISCONNECTION, RawConnection, simpleBindRequest, tlv, type LdapMessage } from '../helpers/raw-ldap.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';

afterAll(() => stopAllServers());

const alice = { dn: accountDn('alice'), password: 'alice-pw' };
const accounts = [{ name: 'alice', password: alice.password }];
const KiB = 1024;
const MiB = 1024 * KiB;
/** The header of an LDAPMessage SEQUENCE of `length` content bytes (long form, four length bytes). */
const header = (length: number): Buffer => Buffer.from([0x30, 0x84, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
/** An extended request for an operation the server does not offer, `size` bytes in all: cheap to answer whatever its size. */
function bigExtendedRequest(id: number, size: number): Buffer {
  const skeleton = ldapMessage(id, tlv(0x77, Buffer.concat([berString('1.2.3.4', 0x80), berString(Buffer.alloc(0), 0x81)])));
  // Grow the value until the whole message is `size` bytes (length fields grow with it).
  let value = size - skeleton.length;
  for (;;) {
    const message = ldapMessage(id, tlv(0x77, Buffer.concat([berString('1.2.3.4', 0x80), berString(Buffer.alloc(value, 0x61), 0x81)])));
    if (message.length === size) return message;
    value -= message.length - size;
  }
}
const notice = (messages: LdapMessage[]): LdapMessage | undefined => messages.find((m) => m.id === 0 && m.tag === 0x78 && m.body.includes(Buffer.from(NOTICE_OF_DISCONNECTION)));

describe('large PDUs only after a bind', () => {
  let server: TestServer;
  afterAll(() => server.stop());

  it('refuses a PDU announced above 256 KiB before a bind at its header, and reads and answers a 4 MiB one after', async () => {
    server = await startServer({ accounts, args: ['--workers', '1'] });
    const anonymous = await RawConnection.open(server.port);
    anonymous.write(header(4 * MiB - 7));
    expect(await anonymous.waitClosed(3000)).toBe(true);
    const refusal = notice(decodeMessages(anonymous.data()).messages);
    expect(refusal?.resultCode).toBe(2);
    expect(refusal?.diagnosticMessage).toMatch(/exceeds the limit of 262144 bytes for a client that has not bound/);

    const bound = await RawConnection.open(server.port);
    bound.write(simpleBindRequest(1, alice.dn, alice.password));
    expect((await bound.waitMessages(1))[0]?.resultCode).toBe(0);
    bound.write(bigExtendedRequest(2, 4 * MiB - 1));
    const [, answer] = await bound.waitMessages(2, 10_000);
    expect(answer).toMatchObject({ id: 2, resultCode: 2 });
    expect(answer?.diagnosticMessage).toContain('extended operation 1.2.3.4 is not supported');
    expect(bound.isClosed()).toBe(false);
    bound.destroy();
  });
});

describe('incomplete PDUs', () => {
  it('200 connections holding 256 KiB − 1 byte each, twice: the server holds at most its budget, refuses the rest with busy, logs a line, and stays within that after a second wave', async () => {
    const budget = 16 * MiB;
    const server = await startServer({ args: ['--workers', '1', '--partial-pdu-budget', String(budget)] });
    const reader = await Reader.open(server.port);
    const held: RawConnection[] = [];
    try {
      const baseline = await reader.reads(20);
      const before = serverRss(server.pid);
      /** 200 connections each sending all but one byte of a 256 KiB − 1 PDU; resolves once they are held or refused. */
      const attack = async (): Promise<RawConnection[]> => {
        const almost = Buffer.concat([header(256 * KiB - 7), Buffer.alloc(256 * KiB - 7 - 1, 0x04)]);
        const opened: RawConnection[] = [];
        for (let i = 0; i < 200; i += 20) {
          const batch = await Promise.all(Array.from({ length: 20 }, () => RawConnection.open(server.port)));
          for (const c of batch) c.write(almost);
          opened.push(...batch);
          held.push(...batch);
          await sleep(50);
        }
        await sleep(1000);
        return opened;
      };
      const { value: first, latencies } = await reader.during(attack());
      const during = serverRss(server.pid);
      const refused = first.filter((c) => c.isClosed());
      console.log(
        `200 x 256 KiB - 1 incomplete: ${200 - refused.length} held, ${refused.length} refused; ${describeRss(before, during)}; ` +
          `another client's reads meanwhile median ${median(latencies).toFixed(2)} ms, max ${max(latencies).toFixed(1)} ms (usually median ${median(baseline).toFixed(2)}, max ${max(baseline).toFixed(1)} ms)`,
      );
      // 16 MiB hold 64 such PDUs; the others are refused.
      expect(200 - refused.length).toBeLessThanOrEqual(64);
      expect(refused.length).toBeGreaterThanOrEqual(200 - 64);
      expect(notice(decodeMessages(refused[0]!.data()).messages)).toMatchObject({ resultCode: 51, diagnosticMessage: expect.stringContaining('MiB of incomplete requests') });
      // The budget, and the reads' buffers of the refused connections (50 MB went through),
      // garbage until V8 counts enough of it to collect.
      for (const growth of rssGrowth(before, during)) expect(growth).toBeLessThan(budget / MiB + 40);
      expect(max(latencies)).toBeLessThan(usualLatencyBound(baseline));
      // Refusals are logged once per source and interval.
      expect(logLines(server, /disconnected: the server holds/).length).toBe(1);
      for (const c of first) c.destroy();
      await sleep(1000);
      // The buffers freed are garbage until the next collection, which an idle server need
      // not run, and the allocator may keep what it had; but nothing accumulates: after the
      // same attack again, memory is within the same bound (it grew by 910 MB for good).
      // The bound is wider than during the first wave: two waves' garbage may be waiting for a
      // collection on a busy machine (62 MiB was seen in a whole-suite run beside other tests),
      // still a tenth of what accumulating took.
      await attack();
      for (const c of held) c.destroy();
      const after = await settledRss(server.pid, before, budget / MiB + 64, 10_000);
      console.log(`after the same attack again, and its connections closed: ${describeRss(before, after)}`);
      for (const growth of rssGrowth(before, after)) expect(growth).toBeLessThan(budget / MiB + 64);
      // And the budget is free again: a new connection's PDU of the same size is read.
      const again = await RawConnection.open(server.port);
      again.write(bigExtendedRequest(1, 200 * KiB));
      expect((await again.waitMessages(1))[0]).toMatchObject({ id: 1, resultCode: 2 });
      again.destroy();
    } finally {
      for (const c of held) c.destroy();
      reader.close();
      await server.stop();
    }
  }, 60_000);

  it('a 4 MiB PDU trickled in 2 KiB pieces costs the server about what it costs whole (linear framing)', async () => {
    const server = await startServer({ accounts, args: ['--workers', '1'] });
    try {
      const pdu = bigExtendedRequest(2, 4 * MiB);
      /** Server CPU seconds to read and answer `pdu` sent in pieces of `piece` bytes, `pause` ms apart. */
      const cost = async (piece: number, pause: number): Promise<number> => {
        const c = await RawConnection.open(server.port);
        c.socket.setNoDelay(true);
        c.write(simpleBindRequest(1, alice.dn, alice.password));
        expect((await c.waitMessages(1))[0]?.resultCode).toBe(0);
        const started = cpuSeconds(server.pid);
        for (let offset = 0; offset < pdu.length; offset += piece) {
          c.write(pdu.subarray(offset, offset + piece));
          if (pause > 0) await sleep(pause);
        }
        const [, answer] = await c.waitMessages(2, 30_000);
        expect(answer).toMatchObject({ id: 2, resultCode: 2 });
        const spent = cpuSeconds(server.pid) - started;
        c.destroy();
        return spent;
      };
      const whole = await cost(pdu.length, 0);
      const trickled = await cost(2 * KiB, 1);
      console.log(`4 MiB PDU: server CPU ${whole.toFixed(2)} s whole, ${trickled.toFixed(2)} s in 2,048 pieces of 2 KiB`);
      // Re-joining on every read would copy about 4 GB here; the pieces' own handling is what
      // the allowance is for (2,048 reads and the timers between them).
      expect(trickled).toBeLessThan(whole + 0.5);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('slow clients', () => {
  /** Opens `count` connections that each send the start of a PDU and then a byte every `everyMs`. */
  async function tricklers(server: TestServer, count: number, everyMs: number): Promise<{ connections: RawConnection[]; stop: () => void }> {
    const connections = await Promise.all(Array.from({ length: count }, () => RawConnection.open(server.port)));
    for (const c of connections) c.write(header(4 * KiB));
    const timer = setInterval(() => {
      for (const c of connections) if (!c.isClosed()) c.write(Buffer.from([0x04]));
    }, everyMs);
    return { connections, stop: () => clearInterval(timer) };
  }

  it('slowloris: connections trickling a PDU are ended at --pdu-timeout while a normal client keeps being answered, and new connections are accepted again', async () => {
    const server = await startServer({ args: ['--workers', '1', '--max-connections', '60', '--pdu-timeout', '3'] });
    const reader = await Reader.open(server.port);
    const baseline = await reader.reads(20);
    const attack = await tricklers(server, 59, 500);
    try {
      const started = Date.now();
      const { latencies } = await reader.during(
        (async () => {
          // The server is full: a new connection is refused.
          const extra = await RawConnection.open(server.port);
          expect(await extra.waitClosed(3000)).toBe(true);
          expect(notice(decodeMessages(extra.data()).messages)?.resultCode).toBe(51);
          for (const c of attack.connections) expect(await c.waitClosed(6000 - (Date.now() - started))).toBe(true);
        })(),
      );
      const ended = Date.now() - started;
      console.log(
        `59 tricklers ended after ${ended} ms (--pdu-timeout 3); another client's reads meanwhile median ${median(latencies).toFixed(2)} ms, max ${max(latencies).toFixed(1)} ms (usually median ${median(baseline).toFixed(2)}, max ${max(baseline).toFixed(1)} ms)`,
      );
      expect(ended).toBeGreaterThanOrEqual(2900);
      const reason = notice(decodeMessages(attack.connections[0]!.data()).messages);
      expect(reason).toMatchObject({ resultCode: 2, diagnosticMessage: 'a request was not complete within 3 s' });
      expect(max(latencies)).toBeLessThan(usualLatencyBound(baseline));
      // New connections are accepted and answered again.
      const after = await RawConnection.open(server.port);
      after.write(simpleBindRequest(1));
      expect((await after.waitMessages(1))[0]?.resultCode).toBe(0);
      after.destroy();
      // 59 disconnections and a refusal: one line each, then one line with the count.
      expect(logLines(server, /disconnected: a request was not complete/).length).toBe(1);
      expect(logLines(server, /refused connection from 127\.0\.0\.1/).length).toBe(1);
      const deadline = Date.now() + 12_000;
      while (logLines(server, /more disconnections from 127\.0\.0\.1/).length === 0 && Date.now() < deadline) await sleep(250);
      expect(logLines(server, /more disconnections from 127\.0\.0\.1/)[0]).toMatch(/58 more disconnections from 127\.0\.0\.1 in the last \d+ s; the last: connection 127\.0\.0\.1:\d+: disconnected: a request was not complete within 3 s/);
    } finally {
      attack.stop();
      for (const c of attack.connections) c.destroy();
      reader.close();
      await server.stop();
    }
  }, 60_000);

  it('a PDU arriving slower than --min-pdu-rate is ended after the 5 s grace, well before --pdu-timeout', async () => {
    const server = await startServer({ args: ['--workers', '1'] });
    const attack = await tricklers(server, 5, 200);
    try {
      const started = Date.now();
      for (const c of attack.connections) expect(await c.waitClosed(9000 - (Date.now() - started))).toBe(true);
      const ended = Date.now() - started;
      console.log(`5 bytes a second: ended after ${ended} ms`);
      expect(ended).toBeGreaterThanOrEqual(4900);
      expect(notice(decodeMessages(attack.connections[0]!.data()).messages)?.diagnosticMessage).toBe('a request arrived slower than 1024 bytes a second');
    } finally {
      attack.stop();
      await server.stop();
    }
  }, 30_000);

  it('the idle timeout counts from the last complete request: trickled bytes do not keep a connection', async () => {
    const server = await startServer({ args: ['--workers', '1', '--idle-timeout', '2', '--min-pdu-rate', '0', '--pdu-timeout', '60'] });
    const attack = await tricklers(server, 3, 300);
    // A client that completes a request now and then is not idle.
    const active = await RawConnection.open(server.port);
    let id = 0;
    const timer = setInterval(() => active.write(simpleBindRequest(++id)), 700);
    try {
      const started = Date.now();
      for (const c of attack.connections) expect(await c.waitClosed(6000 - (Date.now() - started))).toBe(true);
      const ended = Date.now() - started;
      console.log(`trickling with --idle-timeout 2: ended after ${ended} ms`);
      expect(ended).toBeGreaterThanOrEqual(1900);
      expect(notice(decodeMessages(attack.connections[0]!.data()).messages)).toMatchObject({ resultCode: 52, diagnosticMessage: 'idle for 2 s' });
      expect(active.isClosed()).toBe(false);
    } finally {
      clearInterval(timer);
      attack.stop();
      active.destroy();
      await server.stop();
    }
  }, 30_000);
});
