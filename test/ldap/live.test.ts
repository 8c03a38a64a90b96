/**
 * Live searches on the wire, what no well-behaved client library lets a test do: the limits
 * per connection and in the whole server (over its worker processes) (and that abandon, cancel and unbind give the places back),
 * cancel (RFC 3909) with its result codes, a client that stops reading (ended past the
 * backlog, content sync with e-syncRefreshRequired, persistent search with a notice of
 * disconnection, the server's memory flat), and what a thousand open live
 * searches cost. The live updates themselves, through real clients (ldapsearch, python-ldap,
 * ldap3, a slapd consumer, the library): test/replication and test/client.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AD_NOTIFICATION_OID, encodeCancelRequest, encodePersistentSearch, encodeSyncRequest, PERSISTENT_SEARCH_OID, SYNC_REQUEST_OID, CANCEL_OID } from '../../src/protocol/index.js';
import { addRequest, describeRss, results, serverRss, settledRss, rssGrowth } from '../helpers/abuse.js';
import { ldapsearch } from '../helpers/ldap-tools.js';
import { abandonRequest, berString, ldapMessage, NOTICE_OF_DISCONNECTION, RawConnection, searchRequest, tlv, unbindRequest, type LdapMessage } from '../helpers/raw-ldap.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SYNC_INFO = 0x79;

/** A control, as BER. */
const control = (oid: string, value: Buffer): Buffer => tlv(0x30, Buffer.concat([berString(oid), tlv(0x01, [0xff]), berString(value)]));

/** A refreshAndPersist sync search of the dynamic container, message `id`. */
const syncSearch = (id: number, base = 'ou=dynamic,o=Intranet'): Buffer => {
  const plain = searchRequest(id, base, 2);
  return withControls(plain, control(SYNC_REQUEST_OID, encodeSyncRequest({ mode: 'refreshAndPersist', reloadHint: false })));
};

/** A persistent search, message `id`. */
const persistentSearch = (id: number): Buffer => withControls(searchRequest(id, 'ou=dynamic,o=Intranet', 2), control(PERSISTENT_SEARCH_OID, encodePersistentSearch({ changeTypes: 15, changesOnly: true, returnECs: true })));

/** The same LDAPMessage with a controls element appended. */
function withControls(messageBytes: Buffer, ...controls: Buffer[]): Buffer {
  // messageBytes is SEQUENCE { id, op }: rebuild it with [0] controls.
  const header = messageBytes[1]! & 0x80 ? 2 + (messageBytes[1]! & 0x7f) : 2;
  const body = messageBytes.subarray(header);
  return tlv(0x30, Buffer.concat([body, tlv(0xa0, Buffer.concat(controls))]));
}

const cancelRequest = (id: number, target: number): Buffer => ldapMessage(id, tlv(0x77, Buffer.concat([berString(CANCEL_OID, 0x80), berString(encodeCancelRequest(target), 0x81)])));

/** Waits for the message that says message `id`'s refresh phase is done (a Sync Info, or a result). */
const refreshed = (c: RawConnection, id: number, ms = 10_000): Promise<LdapMessage[]> => c.waitUntil((all) => all.some((m) => m.id === id && (m.tag === SYNC_INFO || m.resultCode !== undefined)), ms);
const resultOf = (all: LdapMessage[], id: number): LdapMessage | undefined => all.find((m) => m.id === id && m.resultCode !== undefined && m.tag === 0x65);

/** A person to add, with a description of `size` bytes. */
const person = (n: number, size = 10) => addRequest(1000 + n, `cn=p${n}@example.com,ou=dynamic,o=Intranet`, [
  { type: 'objectClass', values: ['rtPerson', 'dynamicObject'] },
  { type: 'cn', values: [`p${n}@example.com`] },
  { type: 'comment', values: ['x'.repeat(size)] },
]);

describe('the live search total with worker processes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true, args: ['--workers', '2', '--max-live-searches-total', '3'] });
  });
  afterAll(() => server.stop());

  it("counts every worker's live searches against one server-wide total; a closed connection gives its places back", async () => {
    // Connections go to the two workers in turn: with a count per process, all four would open.
    const connections = await Promise.all([1, 2, 3, 4].map(() => RawConnection.open(server.port)));
    try {
      const outcomes: Array<number | 'open'> = [];
      for (const c of connections) {
        c.write(syncSearch(2));
        const seen = await refreshed(c, 2);
        outcomes.push(seen.some((m) => m.id === 2 && m.tag === SYNC_INFO) ? 'open' : resultOf(seen, 2)!.resultCode!);
      }
      expect(outcomes).toEqual(['open', 'open', 'open', 51]);
      connections[0]!.destroy();
      // The primary hears of the freed place from the worker: the next search opens once it has.
      const deadline = Date.now() + 10_000;
      for (let id = 3; ; id += 1) {
        connections[3]!.write(syncSearch(id));
        const seen = await refreshed(connections[3]!, id);
        if (seen.some((m) => m.id === id && m.tag === SYNC_INFO)) break;
        expect(resultOf(seen, id)!.resultCode).toBe(51);
        if (Date.now() > deadline) throw new Error("the closed connection's place was never given back");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      for (const c of connections) c.destroy();
    }
  });
});

describe('live search limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true, args: ['--max-live-searches', '2', '--max-live-searches-total', '3'] });
  });
  afterAll(() => server.stop());

  it("are listed in the root DSE: the sync and persistent search controls, Active Directory's change notification, and cancel", async () => {
    const out = (await ldapsearch(server.url, { base: '', scope: 'base', attrs: ['supportedControl', 'supportedExtension'] })).stdout;
    expect(out).toContain(`supportedControl: ${SYNC_REQUEST_OID}`);
    expect(out).toContain(`supportedControl: ${PERSISTENT_SEARCH_OID}`);
    expect(out).toContain(`supportedControl: ${AD_NOTIFICATION_OID}`);
    expect(out).toContain(`supportedExtension: ${CANCEL_OID}`);
  });

  it('refuse a live search past the limit per connection (adminLimitExceeded) and in total (busy); abandon, cancel and unbind give the place back', async () => {
    const a = await RawConnection.open(server.port);
    const b = await RawConnection.open(server.port);
    try {
      a.write(syncSearch(2));
      a.write(persistentSearch(3));
      await refreshed(a, 2);
      a.write(syncSearch(4));
      const tooMany = resultOf(await refreshed(a, 4), 4)!;
      expect(tooMany.resultCode).toBe(11);
      expect(tooMany.diagnosticMessage).toMatch(/already has 2 live searches/);

      b.write(syncSearch(2));
      await refreshed(b, 2);
      b.write(syncSearch(3));
      const busy = resultOf(await refreshed(b, 3), 3)!;
      expect(busy.resultCode).toBe(51);
      expect(busy.diagnosticMessage).toMatch(/already serves 3 live searches/);

      // Abandon frees a place: no answer for the abandoned search, the next one opens.
      a.write(abandonRequest(5, 2));
      // The abandon is handled as it arrives: once a later request on the same connection is
      // answered, the place is free (another connection's search could otherwise overtake it).
      a.write(searchRequest(12, '', 0));
      await results(a, [12]);
      b.write(syncSearch(6));
      expect((await refreshed(b, 6)).some((m) => m.id === 6 && m.tag === SYNC_INFO)).toBe(true);

      // Cancel ends a live search with `canceled`, then answers success; an unknown id gets noSuchOperation.
      b.write(cancelRequest(7, 6));
      let seen = await b.waitUntil((all) => all.some((m) => m.id === 7));
      expect(resultOf(seen, 6)?.resultCode).toBe(118);
      expect(seen.find((m) => m.id === 7)?.resultCode).toBe(0);
      expect(seen.findIndex((m) => m.id === 6 && m.tag === 0x65)).toBeLessThan(seen.findIndex((m) => m.id === 7));
      b.write(cancelRequest(8, 99));
      seen = await b.waitUntil((all) => all.some((m) => m.id === 8));
      expect(seen.find((m) => m.id === 8)?.resultCode).toBe(119);

      // Unbind frees the connection's: after it, another client has both places (b holds the third).
      a.write(unbindRequest(9));
      await a.waitClosed(5000);
      const c = await RawConnection.open(server.port);
      try {
        c.write(syncSearch(2));
        c.write(syncSearch(3));
        const both = await c.waitUntil((all) => [2, 3].every((id) => all.some((m) => m.id === id && (m.tag === SYNC_INFO || m.resultCode !== undefined))), 10_000);
        expect(both.filter((m) => m.tag === SYNC_INFO).map((m) => m.id).sort()).toEqual([2, 3]);
      } finally {
        c.destroy();
      }
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it("end Active Directory's change notification by cancel (canceled) and refuse one whose control has a value (protocolError)", async () => {
    const c = await RawConnection.open(server.port);
    try {
      c.write(withControls(searchRequest(2, 'ou=dynamic,o=Intranet', 1), control(AD_NOTIFICATION_OID, Buffer.alloc(0))));
      // It answers nothing until a change; the cancel finds it open.
      await new Promise((resolve) => setTimeout(resolve, 300));
      c.write(cancelRequest(3, 2));
      const ended = await c.waitUntil((all) => resultOf(all, 2) !== undefined && all.some((m) => m.id === 3), 10_000);
      expect(resultOf(ended, 2)?.resultCode).toBe(118);
      expect(ended.find((m) => m.id === 3)?.resultCode).toBe(0);
      c.write(withControls(searchRequest(4, 'ou=dynamic,o=Intranet', 1), control(AD_NOTIFICATION_OID, Buffer.from('abc'))));
      const refused = await c.waitUntil((all) => resultOf(all, 4) !== undefined, 10_000);
      expect(resultOf(refused, 4)?.resultCode).toBe(2);
    } finally {
      c.destroy();
    }
  });

  it('refuse a live search of a base that does not exist (noSuchObject), taking no place', async () => {
    const c = await RawConnection.open(server.port);
    try {
      c.write(syncSearch(2, 'ou=nowhere,o=Intranet'));
      const done = resultOf(await refreshed(c, 2), 2)!;
      expect(done.resultCode).toBe(32);
    } finally {
      c.destroy();
    }
  });
});

/**
 * Adds 400 entries of 64 KiB (25 MiB of changes, far more than the socket buffers hold) while
 * `watcher` reads nothing, then lets it read again; the server's RSS before and after (settled).
 */
async function floodWhileStopped(server: TestServer, watcher: RawConnection, writer: RawConnection, first: number, who: string): Promise<{ before: ReturnType<typeof serverRss>; after: ReturnType<typeof serverRss> }> {
  watcher.socket.pause();
  const before = serverRss(server.pid);
  const ids: number[] = [];
  for (let n = first; n < first + 400; n += 1) {
    writer.write(person(n, 64 * 1024));
    ids.push(1000 + n);
    if (ids.length === 50) await results(writer, ids.splice(0), 60_000);
  }
  await results(writer, ids, 60_000);
  const after = await settledRss(server.pid, before, 1, 3000);
  console.log(`400 adds of 64 KiB with ${who} that reads nothing: ${describeRss(before, after)}`);
  watcher.socket.resume();
  return { before, after };
}

/** What a live search (message 2) ended past a backlog of 100 was sent, and what the server kept. */
function expectEndedBehind(server: TestServer, all: LdapMessage[], rss: Awaited<ReturnType<typeof floodWhileStopped>>): void {
  // What the socket buffers held and the backlog, not every change. Kept for the reader, the
  // rest would have come after the resume, before the end.
  expect(all.filter((m) => m.id === 2 && m.tag === 0x64).length).toBeLessThan(250);
  expect(server.logs()).toMatch(/live search 2 ended: the client fell more than 100 changes behind/);
  // A coarse bound (a process that just parsed 25 MiB of adds grows by tens of MiB by itself).
  expect(Math.max(...rssGrowth(rss.before, rss.after))).toBeLessThan(160);
}

describe('a client that stops reading', () => {
  let server: TestServer;
  let watcher: RawConnection;
  let writer: RawConnection;
  beforeEach(async () => {
    server = await startServer({ ilsOpen: true, args: ['--live-backlog', '100'] });
    watcher = await RawConnection.open(server.port);
    writer = await RawConnection.open(server.port);
  });
  afterEach(async () => {
    watcher.destroy();
    writer.destroy();
    await server.stop();
  });

  it('its content sync is sent e-syncRefreshRequired once it is 100 changes behind, and the server keeps nothing of what it did not read', { timeout: 180_000 }, async () => {
    watcher.write(syncSearch(2));
    await refreshed(watcher, 2);
    const rss = await floodWhileStopped(server, watcher, writer, 0, 'a content sync');
    const all = await watcher.waitUntil((m) => resultOf(m, 2) !== undefined, 60_000);
    expect(resultOf(all, 2)?.resultCode).toBe(4096);
    expectEndedBehind(server, all, rss);
  });

  it('its persistent search is sent a notice of disconnection once it is 100 changes behind, and its connection is closed', { timeout: 180_000 }, async () => {
    watcher.write(persistentSearch(2));
    // Changes only: the search is following once it is sent a change.
    writer.write(person(0));
    await results(writer, [1000]);
    await watcher.waitUntil((all) => all.some((m) => m.id === 2 && m.tag === 0x64), 10_000);
    const rss = await floodWhileStopped(server, watcher, writer, 1, 'a persistent search');
    const all = await watcher.waitUntil((m) => m.some((x) => x.id === 0), 60_000);
    const notice = all.find((m) => m.id === 0)!;
    expect(notice.tag).toBe(0x78);
    expect(notice.resultCode).toBe(11); // adminLimitExceeded
    expect(notice.body.includes(Buffer.from(NOTICE_OF_DISCONNECTION))).toBe(true);
    expect(await watcher.waitClosed(10_000)).toBe(true);
    expectEndedBehind(server, all, rss);
    // The writer's connection is another's: still served.
    writer.write(person(401));
    await results(writer, [1401]);
  });
});

describe('a thousand live searches', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true });
  });
  afterAll(() => server.stop());

  it('stay open together, each told of a change, at a few KiB each', async () => {
    const connections: RawConnection[] = [];
    try {
      const before = serverRss(server.pid);
      for (let c = 0; c < 16; c += 1) {
        const connection = await RawConnection.open(server.port);
        connections.push(connection);
        for (let i = 0; i < 63; i += 1) connection.write(syncSearch(2 + i));
      }
      for (const connection of connections) await connection.waitUntil((all) => all.filter((m) => m.tag === SYNC_INFO).length >= 63, 60_000);
      const after = serverRss(server.pid);
      const perSearchKiB = ((after.primary - before.primary) * 1024) / (16 * 63);
      console.log(`1,008 live searches: ${describeRss(before, after)}, ${perSearchKiB.toFixed(1)} KiB each`);
      expect(perSearchKiB).toBeLessThan(32);
      const writer = await RawConnection.open(server.port);
      connections.push(writer);
      writer.write(person(1));
      await results(writer, [1001]);
      for (const connection of connections.slice(0, 16)) {
        const seen = await connection.waitUntil((all) => all.filter((m) => m.tag === 0x64 && m.body.includes(Buffer.from('p1@example.com'))).length >= 63, 30_000);
        expect(seen.filter((m) => m.tag === 0x64 && m.body.includes(Buffer.from('p1@example.com')))).toHaveLength(63);
      }
    } finally {
      for (const connection of connections) connection.destroy();
    }
  });
});
