/**
 * Dynamic entries (RFC 2589) through the wire: OpenLDAP's test046-dds steps replayed with the
 * OpenLDAP tools, python-ldap's dds extended operation, the ILS keep-alive paths, and how
 * promptly entries disappear.
 */
import Database from 'better-sqlite3';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapadd, ldapexop, ldapmodify, ldapsearch, ldifAdd, ldifModify } from '../helpers/ldap-tools.js';
import { runPython } from '../helpers/python.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const alice = { dn: accountDn('alice'), password: 'alice-pw' };
const bob = { dn: accountDn('bob'), password: 'bob-pw' };
const accounts = [
  { name: 'alice', password: alice.password },
  { name: 'bob', password: bob.password },
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** ldapexop exits 1 on any refusal; the result code is in what it prints. */
const exopResult = (r: { code: number | null; stderr: string }): number | null => (r.code === 0 ? 0 : Number(/\((\d+)\)/.exec(r.stderr)?.[1] ?? r.code));

const person = (cn: string, dynamic = true): string =>
  ldifAdd(`cn=${cn},${DYNAMIC}`, { objectClass: dynamic ? ['rtPerson', 'dynamicObject'] : ['rtPerson'], cn, ipAddress: '1613317642' });

afterAll(() => stopAllServers());

describe('test046-dds, replayed with the OpenLDAP tools', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts, args: ['--ttl-min', '1', '--ttl-max', '100000'] });
  });

  it('adds a dynamic entry with the default TTL of 1800 s', async () => {
    const add = await ldapadd(server.url, person('dds-1'), { auth: alice });
    expect(add.code, explain(add)).toBe(0);
    const read = await ldapsearch(server.url, { base: `cn=dds-1,${DYNAMIC}`, scope: 'base', attrs: ['entryTTL'] });
    const ttl = Number(read.entries[0]?.one('entryTTL'));
    expect(ttl).toBeGreaterThan(1795);
    expect(ttl).toBeLessThanOrEqual(1800);
  });

  it('refreshes it with ldapexop, with TTLs above 127 and above 65535 (BER values ldapjs would corrupt)', async () => {
    for (const ttl of [120, 300, 70000]) {
      const r = await ldapexop(server.url, ['refresh', `cn=dds-1,${DYNAMIC}`, String(ttl)], { auth: alice });
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout.trim()).toBe(`newttl=${ttl}`);
      const read = await ldapsearch(server.url, { base: `cn=dds-1,${DYNAMIC}`, scope: 'base', attrs: ['entryTTL'] });
      expect(Number(read.entries[0]?.one('entryTTL'))).toBeGreaterThan(ttl - 5);
      expect(Number(read.entries[0]?.one('entryTTL'))).toBeLessThanOrEqual(ttl);
    }
  });

  it('refreshes it with python-ldap\'s dds extended operation', async () => {
    for (const ttl of [200, 66000]) {
      const r = await runPython<{ ttl?: number; error?: number }>('dds_refresh.py', [server.url, alice.dn, alice.password, `cn=dds-1,${DYNAMIC}`, String(ttl)]);
      expect(r.json, r.stderr).toEqual({ ttl });
    }
  });

  it('raises a TTL below the minimum to it (server started with --ttl-min 1: 1 stays 1)', async () => {
    const r = await runPython<{ ttl?: number }>('dds_refresh.py', [server.url, alice.dn, alice.password, `cn=dds-1,${DYNAMIC}`, '1']);
    expect(r.json).toEqual({ ttl: 1 });
    await ldapexop(server.url, ['refresh', `cn=dds-1,${DYNAMIC}`, '1800'], { auth: alice });
  });

  it('refuses refreshes as RFC 2589 and dds do', async () => {
    const refresh = (dn: string, ttl: string, auth = alice) => runPython<{ ttl?: number; error?: number; info?: string }>('dds_refresh.py', [server.url, auth.dn, auth.password, dn, ttl]);
    expect((await refresh(`cn=nobody,${DYNAMIC}`, '300')).json?.error).toBe(32); // noSuchObject
    expect((await refresh(DYNAMIC, '300')).json?.error).toBe(65); // objectClassViolation: static entry
    expect((await refresh(`cn=dds-1,${DYNAMIC}`, '300', bob)).json?.error).toBe(50); // someone else's
    expect((await refresh(`cn=dds-1,${DYNAMIC}`, '100001')).json?.error).toBe(4); // above --ttl-max: sizeLimitExceeded
    // python-ldap turns a TTL of 0 into its default; ldapexop sends it as is.
    const zero = await ldapexop(server.url, ['refresh', `cn=dds-1,${DYNAMIC}`, '0'], { auth: alice });
    expect(exopResult(zero), explain(zero)).toBe(2); // protocolError
    expect((await refresh(`cn=dds-1,${DYNAMIC}`, '-5')).json?.error).toBe(2);
    expect((await refresh(`cn=dds-1,${DYNAMIC}`, '31557601')).json?.error).toBe(2);
  });

  it('refreshes by modifying entryTTL, as ILS and Active Directory clients do', async () => {
    const r = await ldapmodify(server.url, ldifModify(`cn=dds-1,${DYNAMIC}`, [{ op: 'replace', attr: 'entryTTL', values: ['500'] }]), { auth: alice });
    expect(r.code, explain(r)).toBe(0);
    const read = await ldapsearch(server.url, { base: `cn=dds-1,${DYNAMIC}`, scope: 'base', attrs: ['entryTTL'] });
    expect(Number(read.entries[0]?.one('entryTTL'))).toBeGreaterThan(495);
    const other = await ldapmodify(server.url, ldifModify(`cn=dds-1,${DYNAMIC}`, [{ op: 'replace', attr: 'entryTTL', values: ['500'] }]), { auth: bob });
    expect(other.code).toBe(50);
  });

  it('modifies a dynamic entry like any other', async () => {
    const r = await ldapmodify(server.url, ldifModify(`cn=dds-1,${DYNAMIC}`, [{ op: 'replace', attr: 'location', values: ['Room 4'] }]), { auth: alice });
    expect(r.code, explain(r)).toBe(0);
  });

  it('adds a dynamic child below a dynamic entry, and refuses a static one (constraintViolation)', async () => {
    const child = await ldapadd(server.url, ldifAdd(`cn=child,cn=dds-1,${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn: 'child' }), { auth: alice });
    expect(child.code, explain(child)).toBe(0);
    const staticChild = await ldapadd(server.url, ldifAdd(`cn=static,cn=dds-1,${DYNAMIC}`, { objectClass: ['rtPerson'], cn: 'static' }), { auth: alice });
    expect(staticChild.code, explain(staticChild)).toBe(19);
    expect(staticChild.info).toContain('static entry cannot be added below a dynamic entry');
  });

  it('refuses to convert static to dynamic and dynamic to static (objectClassViolation)', async () => {
    expect((await ldapadd(server.url, person('static-1', false), { auth: alice })).code).toBe(0);
    const toDynamic = await ldapmodify(server.url, ldifModify(`cn=static-1,${DYNAMIC}`, [{ op: 'add', attr: 'objectClass', values: ['dynamicObject'] }]), { auth: alice });
    expect(toDynamic.code, explain(toDynamic)).toBe(65);
    const toStatic = await ldapmodify(server.url, ldifModify(`cn=dds-1,${DYNAMIC}`, [{ op: 'delete', attr: 'objectClass', values: ['dynamicObject'] }]), { auth: alice });
    expect(toStatic.code, explain(toStatic)).toBe(65);
    const ttlOnStatic = await ldapmodify(server.url, ldifModify(`cn=static-1,${DYNAMIC}`, [{ op: 'replace', attr: 'entryTTL', values: ['60'] }]), { auth: alice });
    expect(ttlOnStatic.code).toBe(65);
  });

  it('lets the entry expire: gone from every operation once its TTL lapses', async () => {
    expect((await ldapadd(server.url, person('dds-short'), { auth: alice })).code).toBe(0);
    expect((await ldapexop(server.url, ['refresh', `cn=dds-short,${DYNAMIC}`, '2'], { auth: alice })).stdout.trim()).toBe('newttl=2');
    await sleep(2300);
    const base = await ldapsearch(server.url, { base: `cn=dds-short,${DYNAMIC}`, scope: 'base' });
    expect(base.code, explain(base)).toBe(32);
    const sub = await ldapsearch(server.url, { base: DYNAMIC, filter: '(cn=dds-short)' });
    expect(sub.entries).toHaveLength(0);
    expect(exopResult(await ldapexop(server.url, ['refresh', `cn=dds-short,${DYNAMIC}`, '60'], { auth: alice }))).toBe(32);
    // A client that finds its entry gone re-creates it (RFC 2589 §5).
    expect((await ldapadd(server.url, person('dds-short'), { auth: alice })).code).toBe(0);
  });

  it('publishes dynamicSubtrees and the refresh operation in the root DSE', async () => {
    const dse = await ldapsearch(server.url, { base: '', scope: 'base', attrs: ['dynamicSubtrees', 'supportedExtension'] });
    expect(dse.entries[0]?.get('dynamicSubtrees')).toEqual([DYNAMIC, 'ou=applications,o=Intranet']);
    expect(dse.entries[0]?.get('supportedExtension')).toContain('1.3.6.1.4.1.1466.101.119.1');
  });
});

describe('ILS keep-alives', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts, args: ['--ttl-min', '1', '--ttl-default', '2'] });
  });

  it('keeps an entry alive by modifying entryTTL periodically', async () => {
    expect((await ldapadd(server.url, person('keeper'), { auth: alice })).code).toBe(0);
    for (let i = 0; i < 4; i += 1) {
      await sleep(1000);
      const r = await ldapmodify(server.url, ldifModify(`cn=keeper,${DYNAMIC}`, [{ op: 'replace', attr: 'entryTTL', values: ['2'] }]), { auth: alice });
      expect(r.code, `refresh ${i}: ${explain(r)}`).toBe(0);
    }
    const read = await ldapsearch(server.url, { base: DYNAMIC, filter: '(cn=keeper)', attrs: ['cn'] });
    expect(read.entries).toHaveLength(1);
  });

  it('refreshes through the (sttl=N) filter term, N in minutes, for the entry\'s owner only', async () => {
    expect((await ldapadd(server.url, person('sttl'), { auth: alice })).code).toBe(0);
    const asBob = await ldapsearch(server.url, { base: DYNAMIC, filter: '(&(objectClass=rtPerson)(cn=sttl)(sttl=10))', attrs: ['entryTTL'], auth: bob });
    expect(asBob.entries).toHaveLength(1);
    expect(Number(asBob.entries[0]?.one('entryTTL'))).toBeLessThanOrEqual(2);
    const asAlice = await ldapsearch(server.url, { base: DYNAMIC, filter: '(&(objectClass=rtPerson)(cn=sttl)(sttl=10))', attrs: ['entryTTL'], auth: alice });
    expect(asAlice.entries).toHaveLength(1);
    expect(Number(asAlice.entries[0]?.one('entryTTL'))).toBeGreaterThan(595);
    const bad = await ldapsearch(server.url, { base: DYNAMIC, filter: '(&(cn=sttl)(sttl=soon))', auth: alice });
    expect(bad.code).toBe(2);
  });
});

describe('expiry accuracy', () => {
  it('removes entries within 1 s of their TTL, idle and under load, and deletes them from the database', async () => {
    const server = await startServer({ accounts, args: ['--ttl-min', '1', '--ttl-default', '2'] });
    const client = new Client({ url: server.url });
    await client.bind(alice.dn, alice.password);
    const load = new Client({ url: server.url });
    const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
    try {
      const measure = async (label: string, count: number): Promise<number[]> => {
        const added = new Map<string, number>();
        for (let i = 0; i < count; i += 1) {
          const cn = `${label}-${i}`;
          await client.add(`cn=${cn},${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn });
          added.set(cn, Date.now());
        }
        const late = new Map<string, number>();
        const rowGone = new Map<string, number>();
        const deadline = Date.now() + 6000;
        while ((late.size < count || rowGone.size < count) && Date.now() < deadline) {
          const { searchEntries } = await client.search(DYNAMIC, { scope: 'one', filter: `(cn=${label}-*)`, attributes: ['cn'] });
          const visible = new Set(searchEntries.map((e) => String(e.cn)));
          const rows = new Set((db.prepare('SELECT dn FROM entries WHERE dn LIKE ?').all(`cn=${label}-%`) as Array<{ dn: string }>).map((r) => r.dn));
          const now = Date.now();
          for (const [cn, at] of added) {
            if (!visible.has(cn) && !late.has(cn)) late.set(cn, now - (at + 2000));
            if (!rows.has(`cn=${cn},${DYNAMIC}`) && !rowGone.has(cn)) rowGone.set(cn, now - (at + 2000));
          }
          await sleep(20);
        }
        expect(late.size).toBe(count);
        expect(rowGone.size).toBe(count);
        const lateness = [...late.values()];
        const deletion = [...rowGone.values()];
        console.log(
          `expiry ${label}: ${count} entries, TTL 2 s; invisible at TTL ${fmt(Math.min(...lateness))}..${fmt(Math.max(...lateness))} ms, ` +
            `deleted from SQLite at TTL ${fmt(Math.min(...deletion))}..${fmt(Math.max(...deletion))} ms (negative: before the 2 s mark as the client saw it, since the add was acknowledged after the server's clock started)`,
        );
        return [...lateness, ...deletion];
      };
      const idle = await measure('idle', 10);
      let loading = true;
      let searches = 0;
      const loader = (async () => {
        while (loading) {
          await load.search(DYNAMIC, { scope: 'sub', filter: '(objectClass=*)' });
          searches += 1;
        }
      })();
      const loaded = await measure('loaded', 10);
      loading = false;
      await loader;
      console.log(`expiry under load: ${searches} concurrent subtree searches ran meanwhile`);
      for (const ms of [...idle, ...loaded]) expect(ms).toBeLessThan(1000);
    } finally {
      db.close();
      await client.unbind();
      await load.unbind();
      await server.stop();
    }
  });
});

const fmt = (ms: number): string => (ms >= 0 ? `+${ms}` : String(ms));

describe('restart', () => {
  it('an entry that expired while the server was down is gone when it starts', async () => {
    const server = await startServer({ accounts, args: ['--ttl-min', '1'] });
    try {
      expect((await ldapadd(server.url, person('sleeper'), { auth: alice })).code).toBe(0);
      expect((await ldapadd(server.url, person('survivor'), { auth: alice })).code).toBe(0);
      expect((await ldapexop(server.url, ['refresh', `cn=sleeper,${DYNAMIC}`, '1'], { auth: alice })).code).toBe(0);
      // A crash, and the server stays down past the TTL.
      process.kill(server.pid, 'SIGKILL');
      await server.exited();
      await sleep(1500);
      await server.restart('SIGKILL');
      const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
      const rows = (db.prepare('SELECT dn FROM entries').all() as Array<{ dn: string }>).map((r) => r.dn);
      db.close();
      expect(rows).not.toContain(`cn=sleeper,${DYNAMIC}`);
      expect(rows).toContain(`cn=survivor,${DYNAMIC}`);
      const read = await ldapsearch(server.url, { base: DYNAMIC, filter: '(objectClass=rtPerson)', attrs: ['cn'] });
      expect(read.entries.map((e) => e.one('cn'))).toEqual(['survivor']);
    } finally {
      await server.stop();
    }
  });
});

/**
 * Polls for the conference `uid` (running `each` before every read) until it is gone, and
 * expects that after 1.5 to 5 s: a stop time ~2 s away and a grace of 1 s.
 */
async function expectGoneInAboutThreeSeconds(server: TestServer, uid: string, each: () => Promise<unknown> = async () => undefined): Promise<void> {
  const started = Date.now();
  let goneAfter: number | undefined;
  while (Date.now() - started < 8000) {
    await each();
    const read = await ldapsearch(server.url, { base: DYNAMIC, filter: `(uid=${uid})`, attrs: ['uid'] });
    if (read.entries.length === 0) {
      goneAfter = Date.now() - started;
      break;
    }
    await sleep(200);
  }
  expect(goneAfter).toBeDefined();
  expect(goneAfter!).toBeGreaterThan(1500);
  expect(goneAfter!).toBeLessThan(5000);
}

describe('conferences end', () => {
  it('removes a bounded conference a grace period after its stop time, even while it is refreshed', async () => {
    const server = await startServer({ accounts, args: ['--ttl-min', '1', '--conference-grace', '1'] });
    try {
      const ntpNow = Math.floor(Date.now() / 1000) + 2_208_988_800;
      const blob = ['v=0', 'o=alice 1 1 IN IP4 host.example.com', 's=Short', 'c=IN IP4 239.255.1.1/15', `t=${ntpNow - 60} ${ntpNow + 2}`, 'm=audio 49170 RTP/AVP 0'].map((l) => `${l}\r\n`).join('');
      const add = await ldapadd(server.url, ldifAdd(`uid=Short,${DYNAMIC}`, { objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: Buffer.from(blob) }), { auth: alice });
      expect(add.code, explain(add)).toBe(0);
      // Stop time is ~2 s away and the grace 1 s: gone after ~3 s, whatever the refreshes.
      await expectGoneInAboutThreeSeconds(server, 'Short', () => ldapexop(server.url, ['refresh', `uid=Short,${DYNAMIC}`, '600'], { auth: alice }));
      // An unbounded conference lives by its TTL alone.
      const unbounded = blob.replace(`t=${ntpNow - 60} ${ntpNow + 2}`, `t=${ntpNow - 60} 0`);
      expect((await ldapadd(server.url, ldifAdd(`uid=Open,${DYNAMIC}`, { objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: Buffer.from(unbounded) }), { auth: alice })).code).toBe(0);
      await sleep(3500);
      expect((await ldapsearch(server.url, { base: DYNAMIC, filter: '(uid=Open)', attrs: ['uid'] })).entries).toHaveLength(1);
      // A conference that already ended cannot be published.
      const ended = blob.replace(`t=${ntpNow - 60} ${ntpNow + 2}`, `t=${ntpNow - 600} ${ntpNow - 300}`);
      const late = await ldapadd(server.url, ldifAdd(`uid=Ended,${DYNAMIC}`, { objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: Buffer.from(ended) }), { auth: alice });
      expect(late.code, explain(late)).toBe(19);
      expect(late.info).toContain('the conference ended');
    } finally {
      await server.stop();
    }
  });

  it('removes a static bounded conference (no dynamicObject) the same way, written through a worker', async () => {
    const server = await startServer({ accounts, args: ['--conference-grace', '1', '--workers', '2'] });
    try {
      const ntpNow = Math.floor(Date.now() / 1000) + 2_208_988_800;
      const blob = ['v=0', 'o=alice 1 1 IN IP4 host.example.com', 's=Static', 'c=IN IP4 239.255.1.2/15', `t=${ntpNow - 60} ${ntpNow + 2}`, 'm=audio 49170 RTP/AVP 0'].map((l) => `${l}\r\n`).join('');
      const add = await ldapadd(server.url, ldifAdd(`uid=Static,${DYNAMIC}`, { objectClass: ['rtConference'], conferenceBlob: Buffer.from(blob) }), { auth: alice });
      expect(add.code, explain(add)).toBe(0);
      const read = await ldapsearch(server.url, { base: DYNAMIC, filter: '(uid=Static)', attrs: ['uid', 'entryTTL'] });
      expect(read.entries.map((e) => e.has('entryTTL')), 'static: no TTL').toEqual([false]);
      await expectGoneInAboutThreeSeconds(server, 'Static');
    } finally {
      await server.stop();
    }
  });
});
