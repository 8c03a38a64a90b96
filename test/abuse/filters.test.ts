/**
 * Expensive searches (issue 22, items 3 and 12). The pieces of a substring filter did not
 * count toward the 1,024-element limit (one search with 100,000 pieces blocked a worker for
 * 41.6 s), and a search checked its time limit and abandonment only between the entries it
 * sent, so one that scanned many candidates without a match ignored both. Now every piece
 * counts; a search checks its limit (the client's, or --time-limit) and abandonment while it
 * scans and takes turns with other connections; and a paged search with a negative page size
 * is refused instead of returning everything past the size limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuSeconds } from '../../bench/proc.js';
import { max, median, Reader, sleep, usualLatencyBound } from '../helpers/abuse.js';
import { abandonRequest, berInteger, berString, decodeMessages, ldapMessage, NOTICE_OF_DISCONNECTION, RawConnection, simpleBindRequest, tlv, type LdapMessage } from '../helpers/raw-ldap.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';

afterAll(() => stopAllServers());

const DYNAMIC = 'ou=dynamic,o=Intranet';
const alice = { dn: accountDn('alice'), password: 'alice-pw' };
const ENTRIES = 600;
const isNotice = (m: { id: number; tag: number; body: Buffer }): boolean => m.id === 0 && m.tag === 0x78 && m.body.includes(Buffer.from(NOTICE_OF_DISCONNECTION));

/** A one-level search of the dynamic entries (or a base search of `base`) with `filter` (BER), asking for no attributes. */
function search(id: number, filter: Buffer, options: { timeLimit?: number; controls?: Buffer; base?: string } = {}): Buffer {
  const body = Buffer.concat([berString(options.base ?? DYNAMIC), berInteger(options.base === undefined ? 1 : 0, 0x0a), berInteger(0, 0x0a), berInteger(0), berInteger(options.timeLimit ?? 0), tlv(0x01, [0]), filter, tlv(0x30, berString('1.1'))]);
  return ldapMessage(id, tlv(0x63, body), options.controls);
}

/** `(attribute=*piece*piece*...)` with `count` pieces. */
const substrings = (attribute: string, piece: string, count: number): Buffer => tlv(0xa4, Buffer.concat([berString(attribute), tlv(0x30, Buffer.concat(Array.from({ length: count }, () => berString(piece, 0x81))))]));

/**
 * A filter that costs milliseconds per candidate (about 5 on a quiet machine) and matches
 * none: an OR of 255 substring assertions on a 1 KB attribute of 'c's, each searched in full
 * for a piece that starts with 'c' (no fast skip to a rare first character). A scan of the
 * entries takes seconds.
 */
const slowFilter = tlv(0xa1, Buffer.concat(Array.from({ length: 255 }, (_, i) => substrings('comment', `czq${i}`, 1))));

/** The paged-results control (RFC 2696) with page size `size` (a four-byte INTEGER, so negative sizes can be sent). */
function paged(size: number): Buffer {
  const sizeBytes = Buffer.alloc(4);
  sizeBytes.writeInt32BE(size);
  return tlv(0xa0, tlv(0x30, Buffer.concat([berString('1.2.840.113556.1.4.319'), berString(tlv(0x30, Buffer.concat([tlv(0x02, sizeBytes), berString('')])))])));
}

describe('search limits under attack', () => {
  let server: TestServer;
  let reader: Reader;
  let baseline: number[];

  beforeAll(async () => {
    server = await startServer({ accounts: [{ name: 'alice', password: alice.password }], args: ['--workers', '1', '--time-limit', '1', '--size-limit', '50'] });
    const loader = await RawConnection.open(server.port);
    loader.write(simpleBindRequest(1, alice.dn, alice.password));
    expect((await loader.waitMessages(1))[0]?.resultCode).toBe(0);
    const comment = 'c'.repeat(1024);
    const adds = Array.from({ length: ENTRIES }, (_, i) =>
      ldapMessage(i + 2, tlv(0x68, Buffer.concat([berString(`cn=slow${i},${DYNAMIC}`), tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat([berString('objectClass'), tlv(0x31, berString('rtPerson'))])), tlv(0x30, Buffer.concat([berString('cn'), tlv(0x31, berString(`slow${i}`))])), tlv(0x30, Buffer.concat([berString('comment'), tlv(0x31, berString(comment))]))]))]))),
    );
    const loading = Date.now();
    for (let i = 0; i < adds.length; i += 50) loader.write(Buffer.concat(adds.slice(i, i + 50)));
    const answers = await loader.waitUntil((m) => m.length >= ENTRIES + 1, 60_000);
    expect(answers.filter((m) => m.resultCode === 0)).toHaveLength(ENTRIES + 1);
    console.log(`${ENTRIES} entries of 1 KB added in ${Date.now() - loading} ms`);
    loader.destroy();
    reader = await Reader.open(server.port);
    baseline = await reader.reads(20);
  }, 90_000);
  afterAll(async () => {
    reader.close();
    await server.stop();
  });

  it('every substring piece counts toward the 1024-element limit: 2,000 pieces are refused at once, 1,000 are served', async () => {
    const many = await RawConnection.open(server.port);
    const started = Date.now();
    many.write(search(1, substrings('cn', 'a', 2000)));
    expect(await many.waitClosed(3000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(decodeMessages(many.data()).messages.find(isNotice)?.diagnosticMessage).toContain('more than 1024 elements');
    const fine = await RawConnection.open(server.port);
    fine.write(search(1, substrings('objectClass', 'a', 1000), { base: '' }));
    const done = (await fine.waitUntil((m) => m.some((x) => x.tag === 0x65))).find((m) => m.tag === 0x65);
    expect(done?.resultCode).toBe(0);
    fine.destroy();
  });

  it('100,000 pieces (300 KB) from a bound client are refused without the scan, and nobody waits', async () => {
    const c = await RawConnection.open(server.port);
    c.write(simpleBindRequest(1, alice.dn, alice.password));
    expect((await c.waitMessages(1))[0]?.resultCode).toBe(0);
    const cpu = cpuSeconds(server.pid);
    c.write(search(2, substrings('cn', 'a', 100_000)));
    expect(await c.waitClosed(3000)).toBe(true);
    expect(decodeMessages(c.data()).messages.find(isNotice)?.diagnosticMessage).toContain('more than 1024 elements');
    const spent = cpuSeconds(server.pid) - cpu;
    console.log(`100,000 substring pieces: refused; server CPU ${spent.toFixed(2)} s`);
    expect(spent).toBeLessThan(0.5);
  });

  /**
   * Sends `request` (a search of 1 s time limit) on a connection of its own while another client
   * reads: its SearchResultDone, how long it took, and the other client's read latencies.
   */
  async function limitedScan(request: Buffer): Promise<{ done: LdapMessage | undefined; took: number; latencies: number[] }> {
    const c = await RawConnection.open(server.port);
    const started = Date.now();
    c.write(request);
    const { value: messages, latencies } = await reader.during(c.waitUntil((m) => m.some((x) => x.tag === 0x65), 20_000));
    c.destroy();
    return { done: messages.find((m) => m.tag === 0x65), took: Date.now() - started, latencies };
  }

  /** The scan ran its 1 s, and the other client was served meanwhile. */
  function expectStoppedAndFair(took: number, latencies: number[]): void {
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(1800);
    expect(latencies.length).toBeGreaterThan(5);
    // Reads wait for at most a candidate's evaluation and a slice (5 ms) of the scan: as usual
    // in the median; the slowest, on a machine shared with other work, still far from the
    // seconds the scan takes (it used to hold every other client for all of them).
    expect(median(latencies)).toBeLessThan(usualLatencyBound(baseline));
    expect(max(latencies)).toBeLessThan(Math.max(usualLatencyBound(baseline), 500));
  }

  it("a scan without matches stops at the client's time limit, and other clients are served meanwhile", async () => {
    const { done, took, latencies } = await limitedScan(search(1, slowFilter, { timeLimit: 1 }));
    console.log(
      `slow scan, client time limit 1 s: ended after ${took} ms; another client's reads meanwhile median ${median(latencies).toFixed(2)} ms, max ${max(latencies).toFixed(1)} ms (usually median ${median(baseline).toFixed(2)}, max ${max(baseline).toFixed(1)} ms)`,
    );
    expect(done).toMatchObject({ resultCode: 3, diagnosticMessage: 'the requested time limit of 1 s was exceeded' });
    expectStoppedAndFair(took, latencies);
  });

  it('the refresh phase of a content sync keeps the same time: it stops at the time limit, and other clients are served meanwhile', async () => {
    // RFC 4533 Sync Request control, refreshOnly, critical.
    const sync = tlv(0xa0, tlv(0x30, Buffer.concat([berString('1.3.6.1.4.1.4203.1.9.1.1'), tlv(0x01, [0xff]), berString(tlv(0x30, berInteger(1, 0x0a)))])));
    const { done, took, latencies } = await limitedScan(search(1, slowFilter, { timeLimit: 1, controls: sync }));
    console.log(`slow sync refresh, time limit 1 s: ended after ${took} ms; another client's reads meanwhile median ${median(latencies).toFixed(2)} ms, max ${max(latencies).toFixed(1)} ms`);
    expect(done?.resultCode).toBe(3);
    expect(done?.diagnosticMessage).toContain('during the refresh phase');
    expectStoppedAndFair(took, latencies);
  });

  it("without a client limit, or with a larger one, the server's --time-limit applies", async () => {
    for (const timeLimit of [0, 5]) {
      const c = await RawConnection.open(server.port);
      const started = Date.now();
      c.write(search(1, slowFilter, { timeLimit }));
      const done = (await c.waitUntil((m) => m.some((x) => x.tag === 0x65), 20_000)).find((m) => m.tag === 0x65);
      const took = Date.now() - started;
      console.log(`slow scan, client time limit ${timeLimit} s, --time-limit 1: ended after ${took} ms`);
      expect(done).toMatchObject({ resultCode: 3, diagnosticMessage: "the server's time limit of 1 s was exceeded" });
      expect(took).toBeLessThan(1800);
      c.destroy();
    }
  });

  it('an abandon stops the scan in progress: the connection answers its next request at once and the server stops working', async () => {
    const c = await RawConnection.open(server.port);
    c.write(search(1, slowFilter));
    await sleep(300);
    c.write(abandonRequest(2, 1));
    const abandoned = Date.now();
    c.write(simpleBindRequest(3));
    const bind = (await c.waitUntil((m) => m.some((x) => x.id === 3), 5000)).find((m) => m.id === 3);
    const after = Date.now() - abandoned;
    const cpu = cpuSeconds(server.pid);
    await sleep(1000);
    const spent = cpuSeconds(server.pid) - cpu;
    console.log(`abandoned slow scan: next request answered ${after} ms after the abandon; server CPU in the next second ${spent.toFixed(2)} s`);
    expect(bind?.resultCode).toBe(0);
    // A candidate's evaluation and a turn of the event loop, on a machine shared with other work (the whole scan takes seconds).
    expect(after).toBeLessThan(1000);
    expect(decodeMessages(c.data()).messages.filter((m) => m.id === 1)).toEqual([]);
    expect(spent).toBeLessThan(0.3);
    c.destroy();
  });

  it('a paged search with a negative page size is refused (protocolError), not served past the size limit', async () => {
    const c = await RawConnection.open(server.port);
    c.write(search(1, berString('objectClass', 0x87), { controls: paged(-1) }));
    const messages = await c.waitUntil((m) => m.some((x) => x.tag === 0x65), 5000);
    expect(messages.filter((m) => m.tag === 0x64)).toHaveLength(0);
    expect(messages.find((m) => m.tag === 0x65)).toMatchObject({ resultCode: 2, diagnosticMessage: expect.stringContaining('paged results size -1 is out of range') });
    // Control: a page of 20 is served as 20 entries.
    c.write(search(2, berString('objectClass', 0x87), { controls: paged(20) }));
    const page = await c.waitUntil((m) => m.some((x) => x.tag === 0x65 && x.id === 2), 5000);
    expect(page.filter((m) => m.tag === 0x64 && m.id === 2)).toHaveLength(20);
    c.destroy();
  });
});
