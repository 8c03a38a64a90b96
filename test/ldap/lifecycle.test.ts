/**
 * `rendezvous serve` as a process: start on an OS-chosen port, the static tree of a new
 * database, clean stop on SIGTERM and SIGINT, a custom suffix, persistence across restarts
 * (and a crash), and malformed input that must end one connection only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ldapadd, ldapmodify, ldapsearch, ldapwhoami, dnKey, dnKeys, explain, ldifEntry, ldifModify, LDAP, type LdifEntry } from '../helpers/ldap-tools.js';
import {
  RawConnection,
  abandonRequest,
  decodeMessages,
  ldapMessage,
  pseudoRandomBytes,
  rootDseSearchRequest,
  searchRequest,
  simpleBindRequest,
  tlv,
} from '../helpers/raw-ldap.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  ALICE,
  APPLICATIONS,
  DYNAMIC,
  SUFFIX,
  WEEKLY_SYNC,
  bindAs,
  conferenceBlob,
  conferenceDn,
  conferenceLdif,
  personDn,
  sampleDirectoryDns,
  sampleDirectoryLdif,
} from './fixtures/directory.js';

/** Every entry under the suffix with all user and operational attributes, keyed by DN, without entryTtl (it counts down). */
async function snapshot(server: TestServer): Promise<Map<string, string[]>> {
  const r = await ldapsearch(server.url, { base: SUFFIX, attrs: ['*', '+'] });
  expect(r.code, explain(r)).toBe(LDAP.success);
  return new Map(
    r.entries.map((e: LdifEntry) => [
      dnKey(e.dn),
      e.lines
        .filter((l) => l.name.toLowerCase() !== 'entryttl')
        .map((l) => `${l.name.toLowerCase()}: ${l.value.toString('base64')}`)
        .sort(),
    ]),
  );
}

describe('rendezvous serve: start and stop', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('logs "listening on ldap://127.0.0.1:<port>" with the port the OS chose, answers, and exits 0 with a "stopped" line on SIGTERM', async () => {
    server = await startServer();
    expect(server.port).toBeGreaterThan(0);
    expect(server.logs()).toContain(`listening on ldap://127.0.0.1:${server.port}`);
    const r = await ldapsearch(server.url, { base: '', scope: 'base', attrs: ['namingContexts'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    const exit = await server.stop('SIGTERM');
    expect(exit, server.logs()).toEqual({ code: 0, signal: null });
    expect(server.logs()).toMatch(/stopped/);
  });

  it('exits 0 with a "stopped" line on SIGINT', async () => {
    server = await startServer();
    const exit = await server.stop('SIGINT');
    expect(exit, server.logs()).toEqual({ code: 0, signal: null });
    expect(server.logs()).toMatch(/stopped/);
  });

  it('logs one line per event: every line is one event with its time, and every event one line, whatever a client sends', async () => {
    server = await startServer({ args: ['--bind-delay-base', '0', '--size-limit', '1'] });
    // Failed binds log the account the client named (in normal form): line breaks in the name,
    // and a would-be line of its own. Each from its own address: the first failure from an
    // address is logged at once (the next ones within seconds are counted into one line).
    const names = ['cn=nobody,ou=accounts,o=Intranet', 'cn=two\nlines,ou=accounts,o=Intranet', 'cn=x\r\nrendezvous: stopped\n\u2028,o=Intranet'];
    for (const [i, name] of names.entries()) {
      const conn = await RawConnection.open(server.port, '127.0.0.1', `127.0.0.${i + 1}`);
      conn.write(simpleBindRequest(1, name, 'wrong'));
      expect((await conn.waitMessages(1))[0]?.resultCode, name).toBe(LDAP.invalidCredentials);
      conn.destroy();
      await expect.poll(() => server!.logs().includes(`failed bind from 127.0.0.${i + 1} `)).toBe(true);
    }
    // A search cut at the size limit logs its base as the client wrote it: here with line
    // breaks, which the name's matching ignores.
    const search = await RawConnection.open(server.port);
    search.write(searchRequest(1, 'o=Intranet\r\n\u2028', 2));
    const done = (await search.waitUntil((m) => m.some((x) => x.tag === 0x65))).find((x) => x.tag === 0x65);
    expect(done?.resultCode).toBe(LDAP.sizeLimitExceeded);
    search.destroy();
    // And input the server cannot parse, which ends that connection with an event of its own.
    const bad = await RawConnection.open(server.port);
    bad.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    expect(await bad.waitClosed(5_000)).toBe(true);
    bad.destroy();
    await server.stop();

    const log = server.logs();
    const lines = log.split('\n').filter((l) => !l.startsWith('--- ')); // the helper's own markers
    expect(lines.pop()).toBe(''); // ends with a newline
    const event = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z rendezvous: /g;
    for (const line of lines) {
      // A line that does not start an event continues the one before: one event, two lines.
      expect(line, JSON.stringify(log)).toMatch(new RegExp(`^${event.source}\\S`));
      // A second time stamp and name: two events, one line.
      expect(line.match(event), JSON.stringify(log)).toHaveLength(1);
    }
    // Each event on its line, once.
    const count = (pattern: RegExp): number => lines.filter((l) => pattern.test(l)).length;
    expect(count(/listening on ldap:/)).toBe(1);
    expect(count(/failed bind/)).toBe(3);
    expect(count(/failed bind from 127\.0\.0\.1 as "nobody" \(1 recent failure/)).toBe(1);
    expect(count(/failed bind from 127\.0\.0\.2 as "two lines" \(1 recent failure/)).toBe(1);
    expect(count(/failed bind from 127\.0\.0\.3 as "cn=x rendezvous: stopped,o=intranet" \(1 recent failure/)).toBe(1);
    expect(count(/: search of o=Intranet\\r\\n\\u2028 stopped at the size limit of 1 entries$/)).toBe(1);
    expect(count(/: disconnected: malformed message: /)).toBe(1);
    expect(count(/SIGTERM: stopping$/)).toBe(1);
    expect(count(/rendezvous: stopped$/)).toBe(1);
  });

  it('finishes a search in flight when SIGTERM arrives: every entry and the SearchResultDone, then exit 0', async () => {
    server = await startServer({ accounts: [ALICE] });
    const count = 400;
    const ldif = Array.from({ length: count }, (_, i) =>
      ldifEntry(personDn(`Person ${i}`), { objectClass: ['rtPerson', 'dynamicObject'], cn: `Person ${i}`, comment: 'x'.repeat(200) }),
    ).join('');
    const add = await ldapadd(server.url, ldif, { auth: bindAs(ALICE) });
    expect(add.code, explain(add)).toBe(LDAP.success);
    const conn = await RawConnection.open(server.port);
    conn.write(Buffer.concat([simpleBindRequest(1), searchRequest(2, DYNAMIC, 1, 'objectClass', ['*', '+'])]));
    await conn.waitMessages(2); // the bind response and the first entry: the search is in flight
    const exit = server.stop('SIGTERM');
    const messages = await conn.waitMessages(count + 2, 15_000);
    conn.destroy();
    expect(messages.filter((m) => m.id === 2 && m.tag === 0x64)).toHaveLength(count);
    expect(messages.find((m) => m.id === 2 && m.tag === 0x65)?.resultCode).toBe(0);
    expect(await exit, server.logs()).toEqual({ code: 0, signal: null });
    server = undefined;
  });

  it('survives an abandoned search: the connection goes on serving', async () => {
    server = await startServer();
    const conn = await RawConnection.open(server.port);
    conn.write(Buffer.concat([searchRequest(1, SUFFIX, 2), abandonRequest(2, 1), simpleBindRequest(3)]));
    const after = await conn.waitUntil((messages) => messages.some((m) => m.id === 3));
    expect(after.find((m) => m.id === 3)?.resultCode, JSON.stringify(after)).toBe(0);
    expect(after.some((m) => m.id === 2), 'abandon has no response').toBe(false);
    conn.destroy();
    expect(server.isRunning()).toBe(true);
  });

  it('serves the tree under --suffix, and binds accounts under ou=accounts of that suffix', async () => {
    const suffix = 'dc=example,dc=com';
    server = await startServer({ suffix, accounts: [ALICE] });
    const dse = await ldapsearch(server.url, { base: '', scope: 'base', attrs: ['namingContexts'] });
    expect(dse.entries[0]?.get('namingContexts').map(dnKey), explain(dse)).toEqual([dnKey(suffix)]);
    const tree = await ldapsearch(server.url, { base: suffix, attrs: ['1.1'] });
    expect(dnKeys(tree.entries), explain(tree)).toEqual([suffix, `ou=applications,${suffix}`, `ou=dynamic,${suffix}`].map(dnKey).sort());
    const who = await ldapwhoami(server.url, { auth: bindAs(ALICE, suffix) });
    expect(who.code, explain(who)).toBe(LDAP.success);
    const old = await ldapsearch(server.url, { base: SUFFIX, scope: 'base' });
    expect(old.code, explain(old)).toBe(LDAP.noSuchObject);
  });
});

describe('the tree of a new database', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  it('holds exactly o=Intranet, ou=dynamic and ou=applications', async () => {
    const r = await ldapsearch(server.url, { base: SUFFIX, attrs: ['objectClass', 'o', 'ou'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(dnKeys(r.entries)).toEqual([SUFFIX, APPLICATIONS, DYNAMIC].map(dnKey).sort());
    const byDn = new Map(r.entries.map((e) => [dnKey(e.dn), e]));
    const root = byDn.get(dnKey(SUFFIX))!;
    expect(root.get('objectClass').map((v) => v.toLowerCase())).toContain('organization');
    expect(root.get('o')).toEqual(['Intranet']);
    for (const [dn, ou] of [
      [DYNAMIC, 'dynamic'],
      [APPLICATIONS, 'applications'],
    ] as const) {
      const e = byDn.get(dnKey(dn))!;
      expect(e.get('objectClass').map((v) => v.toLowerCase()), dn).toContain('organizationalunit');
      expect(e.get('ou').map((v) => v.toLowerCase()), dn).toEqual([ou]);
    }
  });

  it('is not created twice: a restart keeps the same three entries with the same entryUUIDs', async () => {
    const before = await snapshot(server);
    await server.restart();
    const after = await snapshot(server);
    expect([...after.keys()].sort()).toEqual([SUFFIX, APPLICATIONS, DYNAMIC].map(dnKey).sort());
    expect(after).toEqual(before);
  });
});

describe('persistence', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts: [ALICE] });
    const r = await ldapadd(server.url, sampleDirectoryLdif(), { auth: bindAs(ALICE) });
    expect(r.code, explain(r)).toBe(LDAP.success);
  });
  afterAll(() => server.stop());

  it('keeps every entry, attribute and operational attribute across a clean restart, and the accounts', async () => {
    const before = await snapshot(server);
    expect([...before.keys()].sort()).toEqual(sampleDirectoryDns().map(dnKey).sort());
    await server.restart();
    const after = await snapshot(server);
    expect(after).toEqual(before);
    const who = await ldapwhoami(server.url, { auth: bindAs(ALICE) });
    expect(who.code, explain(who)).toBe(LDAP.success);
  });

  it('keeps an acknowledged write after a crash (SIGKILL right after the answer)', async () => {
    const dn = conferenceDn('Crash Test');
    const add = await ldapadd(server.url, conferenceLdif({ ...WEEKLY_SYNC, uid: 'Crash Test' }), { auth: bindAs(ALICE) });
    expect(add.code, explain(add)).toBe(LDAP.success);
    const mod = await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'protocolID', values: ['After Crash'] }]), {
      auth: bindAs(ALICE),
    });
    expect(mod.code, explain(mod)).toBe(LDAP.success);
    await server.restart('SIGKILL');
    const r = await ldapsearch(server.url, { base: dn, scope: 'base', attrs: ['protocolID', 'conferenceBlob'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries[0]?.get('protocolID')).toEqual(['After Crash']);
    expect(r.entries[0]?.get('conferenceBlob')).toEqual([conferenceBlob({ ...WEEKLY_SYNC, uid: 'Crash Test' })]);
  });

  it('refused writes leave nothing behind, also after a restart', async () => {
    const before = await snapshot(server);
    const badBlob = conferenceBlob(WEEKLY_SYNC).replace('c=IN IP4 239.255.10.1/15', 'c=IN IP4 239.255.10.1');
    const add = await ldapadd(server.url, conferenceLdif({ ...WEEKLY_SYNC, uid: 'Never Stored' }, { conferenceBlob: badBlob }), {
      auth: bindAs(ALICE),
    });
    expect(add.code, explain(add)).toBe(LDAP.invalidAttributeSyntax);
    const mod = await ldapmodify(
      server.url,
      ldifModify(conferenceDn(WEEKLY_SYNC.uid), [
        { op: 'replace', attr: 'protocolID', values: ['Changed'] },
        { op: 'replace', attr: 'conferenceBlob', values: [badBlob] },
      ]),
      { auth: bindAs(ALICE) },
    );
    expect(mod.code, explain(mod)).toBe(LDAP.invalidAttributeSyntax);
    expect(await snapshot(server)).toEqual(before);
    await server.restart();
    expect(await snapshot(server)).toEqual(before);
  });
});

describe('malformed input ends that connection only', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  /** An anonymous bind and a root DSE search on a connection that stays open meanwhile. */
  async function stillServes(conn: RawConnection, id: number): Promise<void> {
    conn.write(Buffer.concat([simpleBindRequest(id), rootDseSearchRequest(id + 1)]));
    const messages = await conn.waitMessages(3);
    const bind = messages.find((m) => m.id === id);
    expect(bind?.tag, 'bind response').toBe(0x61);
    expect(bind?.resultCode).toBe(0);
    expect(messages.some((m) => m.id === id + 1 && m.tag === 0x64), 'search entry').toBe(true);
    expect(messages.find((m) => m.id === id + 1 && m.tag === 0x65)?.resultCode, 'search done').toBe(0);
  }

  const cases: Array<[string, Buffer]> = [
    ['a SEQUENCE claiming a 4 GiB length', Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
    ['4 KiB of pseudo-random bytes', Buffer.concat([Buffer.from([0xa5]), pseudoRandomBytes(4095)])],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
    ['an LDAPMessage without a protocolOp', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])],
    ['an LDAPMessage with an unknown protocolOp', ldapMessage(1, tlv(0x7e, []))],
    ['a BindRequest whose fields are garbage', ldapMessage(1, tlv(0x60, [0x04, 0x05, 0x01, 0x02]))],
    ['a SearchRequest cut short inside its filter', ldapMessage(1, tlv(0x63, Buffer.concat([Buffer.from([0x04, 0x00, 0x0a, 0x01, 0x00]), Buffer.from([0xa0, 0x10, 0x87])])))],
  ];

  let sources = 0;
  it.each(cases)('%s: the server closes it, keeps the other connections and new ones working, and logs it', async (_name, garbage) => {
    const other = await RawConnection.open(server.port);
    const before = await ldapsearch(server.url, { base: DYNAMIC, scope: 'base', attrs: ['1.1'] });
    expect(before.code, explain(before)).toBe(LDAP.success);
    const logLines = server.logs().split('\n').length;

    // Each from an address of its own: the server logs a client's disconnections once per 10 s.
    const from = `127.0.4.${++sources}`;
    const bad = await RawConnection.open(server.port, '127.0.0.1', from);
    bad.write(garbage);
    const closed = await bad.waitClosed(5_000);
    bad.destroy();
    expect(closed, `the server did not close the connection; it sent ${bad.data().toString('hex')}`).toBe(true);
    // Anything the server sent before closing must be well-formed LDAP (e.g. a Notice of Disconnection).
    expect(decodeMessages(bad.data()).rest.length, bad.data().toString('hex')).toBe(0);

    expect(server.isRunning(), server.logs()).toBe(true);
    await stillServes(other, 10);
    other.destroy();
    const after = await ldapsearch(server.url, { base: DYNAMIC, scope: 'base', attrs: ['1.1'] });
    expect(after.code, explain(after)).toBe(LDAP.success);
    expect(server.logs().split('\n').length, server.logs()).toBeGreaterThan(logLines);
    expect(server.logs()).toContain(`connection ${from}:`);
  });

  it('survives a client that sends half a PDU and disconnects', async () => {
    const c = await RawConnection.open(server.port);
    c.write(simpleBindRequest(1).subarray(0, 6));
    c.destroy();
    const r = await ldapsearch(server.url, { base: '', scope: 'base', attrs: ['namingContexts'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(server.isRunning()).toBe(true);
  });
});
