/**
 * `serve --workers N` through the wire: connections spread over worker processes that share
 * one database (a write on any connection is read on every other at once; concurrent writes
 * never fail busy), failed-bind delays counted for the whole server (the connection limit:
 * hardening.test.ts), expiry by the primary, a killed worker replaced without disturbing the
 * others, and clean stops.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenOf } from '../../bench/proc.js';
import { ldapadd, ldapsearch, ldifEntry } from '../helpers/ldap-tools.js';
import { decodeMessages, RawConnection, simpleBindRequest, searchRequest } from '../helpers/raw-ldap.js';
import { accountDn, startServer, type TestServer } from '../helpers/server.js';
import { ALICE, bindAs, conferenceBlob, SUFFIX, WEEKLY_SYNC } from './fixtures/directory.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Binds anonymously and reads the entries one level under `base`; resolves to how many. */
async function countOneLevel(connection: RawConnection, base: string, id: number): Promise<number> {
  const before = decodeMessages(connection.data()).messages.length;
  connection.write(searchRequest(id, base, 1));
  const messages = await connection.waitUntil((m) => m.slice(before).some((x) => x.tag === 0x65), 5000);
  return messages.slice(before).filter((m) => m.tag === 0x64).length;
}

describe('two workers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts: [ALICE], args: ['--workers', '2', '--ttl-min', '1', '--ttl-default', '2'] });
  });
  afterAll(() => server?.stop());

  it('runs two worker processes and says so', () => {
    expect(childrenOf(server.pid)).toHaveLength(2);
    expect(server.logs()).toMatch(/listening on ldap:\/\/127\.0\.0\.1:\d+ \(.*2 worker processes\)/);
  });

  it('sizes each process young generation: 4 MB semi-spaces for the writer, 2 MB for the workers', () => {
    // The executable's first line gives the primary its flag (the test server is started by
    // running bin/rendezvous itself); the workers get theirs from the primary. V8 takes the last.
    const semiSpace = (pid: number): string | undefined =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.startsWith('--max-semi-space-size=')).at(-1);
    expect(semiSpace(server.pid)).toBe('--max-semi-space-size=4');
    const workers = childrenOf(server.pid);
    expect(workers).toHaveLength(2);
    for (const pid of workers) expect(semiSpace(pid)).toBe('--max-semi-space-size=2');
  });

  it('a write on any connection is read on every other one at once', async () => {
    // Connections are dealt to the workers in turn: four of them cover both, twice.
    const clients = await Promise.all([0, 1, 2, 3].map(async () => {
      const c = new Client({ url: server.url });
      await c.bind(bindAs(ALICE).dn, ALICE.password);
      return c;
    }));
    try {
      for (const [i, writer] of clients.entries()) {
        const dn = `cn=Shared ${i},ou=applications,${SUFFIX}`;
        await writer.add(dn, { objectClass: 'person', cn: `Shared ${i}`, sn: 'Shared' });
        for (const reader of clients) {
          const { searchEntries } = await reader.search(dn, { scope: 'base' });
          expect(searchEntries.map((e) => e.dn)).toEqual([dn]);
        }
        await writer.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'sn', values: [`Changed ${i}`] }) }));
        for (const reader of clients) {
          const { searchEntries } = await reader.search(dn, { scope: 'base', attributes: ['sn'] });
          expect(searchEntries[0]?.sn).toBe(`Changed ${i}`);
        }
        await writer.del(dn);
        for (const reader of clients) {
          await expect(reader.search(dn, { scope: 'base' })).rejects.toThrow(/no such entry/i);
        }
      }
    } finally {
      await Promise.all(clients.map((c) => c.unbind()));
    }
  });

  it('concurrent writes through both workers all succeed (no busy, nothing lost)', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, async () => {
      const c = new Client({ url: server.url });
      await c.bind(bindAs(ALICE).dn, ALICE.password);
      return c;
    }));
    try {
      // Each add reads, then writes: without taking the write lock first, a worker whose
      // snapshot another worker's commit overtook would fail with SQLITE_BUSY_SNAPSHOT.
      await Promise.all(clients.map(async (c, k) => {
        for (let i = 0; i < 40; i += 1) {
          const dn = `cn=Busy ${k}-${i},ou=applications,${SUFFIX}`;
          await c.add(dn, { objectClass: 'person', cn: `Busy ${k}-${i}`, sn: 'Busy' });
          await c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'sn', values: [`Busy ${i}`] }) }));
        }
      }));
      const { searchEntries } = await clients[0]!.search(`ou=applications,${SUFFIX}`, { scope: 'one', filter: '(sn=Busy*)', sizeLimit: 0 });
      expect(searchEntries).toHaveLength(320);
    } finally {
      await Promise.all(clients.map((c) => c.unbind()));
    }
  });

  it('a worker checks an add before the primary writes it: bad input gets its precise code, nothing is written', async () => {
    // The worker validates the blob and the schema (prepareAdd); the primary checks what
    // needs the database (an existing entry, the parent) in the transaction that writes.
    const clients = await Promise.all([0, 1].map(async () => {
      const c = new Client({ url: server.url });
      await c.bind(bindAs(ALICE).dn, ALICE.password);
      return c;
    }));
    try {
      for (const [i, c] of clients.entries()) {
        const uid = `Prepared ${i}`;
        const dn = `uid=${uid},ou=dynamic,${SUFFIX}`;
        const blob = conferenceBlob({ ...WEEKLY_SYNC, uid });
        await expect(c.add(dn, { objectClass: ['rtConference', 'dynamicObject'], uid, conferenceBlob: blob.replace('c=IN IP4 239.255.10.1/15', 'c=IN IP4 239.255.10.1') })).rejects.toMatchObject({ code: 21, message: expect.stringMatching(/c=: .*TTL/) });
        await expect(c.add(dn, { objectClass: ['rtConference', 'dynamicObject'], uid, startTime: '20300101000000Z' })).rejects.toMatchObject({ code: 19 });
        await expect(c.search(dn, { scope: 'base' })).rejects.toThrow(/no such entry/i);
        await c.add(dn, { objectClass: ['rtConference', 'dynamicObject'], uid, conferenceBlob: blob });
        await expect(c.add(dn, { objectClass: ['rtConference', 'dynamicObject'], uid, conferenceBlob: blob })).rejects.toMatchObject({ code: 68 });
        await expect(c.add(`uid=${uid},ou=nowhere,${SUFFIX}`, { objectClass: ['rtConference'], uid })).rejects.toMatchObject({ code: 50 });
        const { searchEntries } = await clients[1 - i]!.search(dn, { scope: 'base', attributes: ['startTime', 'originator'] });
        expect(searchEntries[0]?.originator).toBe(WEEKLY_SYNC.originator);
        expect(searchEntries[0]?.startTime).toMatch(/^\d{14}Z$/);
      }
    } finally {
      await Promise.all(clients.map((c) => c.unbind()));
    }
  });

  it('the primary deletes what a worker wrote when its TTL runs out', async () => {
    // No client touches the entry after the add: its row leaves the database only when the
    // primary's expiry deletes it. Checked without a window that load can break: never gone
    // before the TTL (2 s) has passed since the add was sent, and gone after (within 20 s).
    const dn = `cn=Brief,ou=dynamic,${SUFFIX}`;
    const sent = Date.now();
    const r = await ldapadd(server.url, ldifEntry(dn, { objectClass: ['person', 'dynamicObject'], cn: 'Brief', sn: 'Brief' }), { auth: bindAs(ALICE) });
    expect(r.code, r.stderr).toBe(0);
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const stored = (): boolean => db.prepare("SELECT 1 FROM entries WHERE ndn = 'cn=brief,ou=dynamic,o=intranet'").get() !== undefined;
      // The clock is read after the query: the row was gone by then, so at or after its deadline.
      let goneAt: number | undefined;
      while (goneAt === undefined && Date.now() - sent < 20_000) {
        if (!stored()) goneAt = Date.now();
        else await sleep(20);
      }
      expect(goneAt, 'still stored 20 s after the add').toBeDefined();
      expect(goneAt! - sent, 'deleted before its TTL ran out').toBeGreaterThanOrEqual(2000);
    } finally {
      db.close();
    }
  });

  it('an ILS (sttl=N) search refreshes through the primary: the worker writes nothing, the search reads the new entryTTL, expiry keeps the new deadline', async () => {
    // A worker's database connection is query-only: a refresh made by the search in the worker
    // (as before the write path carried it) fails with SQLITE_READONLY instead of refreshing.
    const dn = `cn=Kept,ou=dynamic,${SUFFIX}`;
    const r = await ldapadd(server.url, ldifEntry(dn, { objectClass: ['person', 'dynamicObject'], cn: 'Kept', sn: 'Kept' }), { auth: bindAs(ALICE) });
    expect(r.code, r.stderr).toBe(0);
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const expiresAt = (): number | undefined => (db.prepare("SELECT expires_at AS at FROM entries WHERE ndn = 'cn=kept,ou=dynamic,o=intranet'").get() as { at: number } | undefined)?.at;
      const before = Date.now();
      // Two searches, on two connections: dealt to the workers in turn, they reach both.
      for (let i = 0; i < 2; i += 1) {
        const found = await ldapsearch(server.url, { base: `ou=dynamic,${SUFFIX}`, filter: '(&(cn=Kept)(sttl=1))', attrs: ['entryTTL'], auth: bindAs(ALICE) });
        expect(found.code, found.stderr).toBe(0);
        expect(Number(found.entries[0]?.one('entryTTL'))).toBeGreaterThan(55);
        expect(expiresAt()).toBeGreaterThanOrEqual(before + 60_000);
      }
      // Past the deadline it was added with (2 s): the primary keeps it, and deletes nothing early.
      await sleep(2500);
      expect(expiresAt()).toBeGreaterThanOrEqual(before + 60_000);
      const read = await ldapsearch(server.url, { base: dn, scope: 'base', attrs: ['entryTTL'] });
      expect(Number(read.entries[0]?.one('entryTTL'))).toBeGreaterThan(50);
    } finally {
      db.close();
    }
  });

  it('the multicastClash flag stays true on both conferences when one of them is added or deleted through either worker', async () => {
    const clients = await Promise.all([0, 1].map(async () => {
      const c = new Client({ url: server.url });
      await c.bind(bindAs(ALICE).dn, ALICE.password);
      return c;
    }));
    const dnOf = (uid: string): string => `uid=${uid},ou=dynamic,${SUFFIX}`;
    const flag = async (uid: string): Promise<string[]> => {
      const { searchEntries } = await clients[1]!.search(dnOf(uid), { scope: 'base', attributes: ['multicastClash'] });
      return [searchEntries[0]?.multicastClash ?? []].flat().map(String);
    };
    try {
      for (const [i, uid] of ['Clash A', 'Clash B'].entries()) {
        // Static (no dynamicObject): this server's TTLs are two seconds.
        await clients[i]!.add(dnOf(uid), { objectClass: 'rtConference', uid, conferenceBlob: conferenceBlob({ ...WEEKLY_SYNC, uid, address: '239.255.77.1' }) });
      }
      expect(await flag('Clash B')).toEqual([`239.255.77.1 ${dnOf('Clash A')}`]);
      expect(await flag('Clash A')).toEqual([`239.255.77.1 ${dnOf('Clash B')}`]);
      await clients[1]!.del(dnOf('Clash B'));
      expect(await flag('Clash A')).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.unbind()));
    }
  });

  it('a killed worker is replaced; connections on the other one carry on', async () => {
    // The cluster deals connections to the workers in turn, though not strictly: eight are
    // (all but surely) on both.
    const connections = await Promise.all(Array.from({ length: 8 }, () => RawConnection.open(server.port)));
    for (const [i, c] of connections.entries()) c.write(simpleBindRequest(i + 1));
    for (const c of connections) expect((await c.waitMessages(1))[0]?.resultCode).toBe(0);
    const [victim] = childrenOf(server.pid);
    process.kill(victim!, 'SIGKILL');
    await sleep(1000);
    // Each connection was either on the killed worker (closed) or goes on being answered.
    const closed = connections.filter((c) => c.isClosed());
    expect(closed.length).toBeLessThan(connections.length);
    for (const [i, c] of connections.entries()) {
      if (!c.isClosed()) expect(await countOneLevel(c, SUFFIX, 10 + i)).toBeGreaterThan(0);
    }
    expect(server.logs()).toMatch(new RegExp(`worker \\d \\(pid ${victim}\\) exited with signal SIGKILL; starting another`));
    expect(await until(() => /worker \d \(pid \d+\) restarted/.test(server.logs()), 10_000)).toBe(true);
    expect(childrenOf(server.pid)).toHaveLength(2);
    expect(childrenOf(server.pid)).not.toContain(victim);
    // New connections reach both workers again.
    const fresh = await Promise.all([0, 1, 2, 3].map(() => RawConnection.open(server.port)));
    for (const [i, c] of fresh.entries()) expect(await countOneLevel(c, SUFFIX, 20 + i)).toBeGreaterThan(0);
    for (const c of [...connections, ...fresh]) c.destroy();
  });
});

describe('limits for the whole server', () => {
  it('delays failed binds for the whole server, whichever worker gets the connection', async () => {
    const server = await startServer({ accounts: [ALICE], args: ['--workers', '2'] });
    try {
      // From sending one bind to the answer to the next: a check waits its delay after the
      // failure before it, which came after that bind was sent.
      const times: number[] = [];
      let sent = Date.now();
      for (let i = 0; i < 4; i += 1) {
        // A new connection each time: they alternate between the workers.
        const client = new Client({ url: server.url });
        const started = Date.now();
        await expect(client.bind(accountDn(ALICE.name), 'wrong')).rejects.toThrow();
        times.push(Date.now() - sent);
        sent = started;
        await client.unbind().catch(() => undefined);
      }
      expect(times[1]!).toBeGreaterThanOrEqual(240);
      expect(times[2]!).toBeGreaterThanOrEqual(490);
      expect(times[3]!).toBeGreaterThanOrEqual(990);
    } finally {
      await server.stop();
    }
  });
});

describe('stopping', () => {
  it('SIGTERM finishes, stops every worker and exits 0', async () => {
    const server = await startServer({ args: ['--workers', '2'] });
    const workers = childrenOf(server.pid);
    expect(workers).toHaveLength(2);
    const r = await ldapsearch(server.url, { base: SUFFIX, scope: 'one' });
    expect(r.code).toBe(0);
    const exit = await server.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(workers.filter(alive)).toEqual([]);
  });

  it('workers end when the primary is killed, and a restart serves the same data', async () => {
    const server = await startServer({ accounts: [ALICE], args: ['--workers', '2'] });
    try {
      const dn = `cn=Survivor,ou=applications,${SUFFIX}`;
      expect((await ldapadd(server.url, ldifEntry(dn, { objectClass: ['person'], cn: 'Survivor', sn: 'S' }), { auth: bindAs(ALICE) })).code).toBe(0);
      const workers = childrenOf(server.pid);
      await server.restart('SIGKILL');
      expect(await until(() => workers.filter(alive).length === 0, 5000)).toBe(true);
      const r = await ldapsearch(server.url, { base: dn, scope: 'base' });
      expect(r.entries.map((e) => e.dn)).toEqual([dn]);
    } finally {
      await server.stop();
    }
  });
});
