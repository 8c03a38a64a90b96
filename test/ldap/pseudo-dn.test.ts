/**
 * NetMeeting's pseudo-DNs ([MS-TAIL] §3.5.3, §3.5.4, §4.1.2): `c=-,o=Microsoft,cn=<email>,objectClass=rtPerson`
 * names `cn=<email>,ou=Dynamic,o=Intranet`, in every operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapadd, ldapdelete, ldapmodify, ldapsearch, ldifAdd, ldifModify } from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';

const PSEUDO = 'c=-,o=Microsoft,cn=ann@example.com,objectClass=rtPerson';
const REAL = 'cn=ann@example.com,ou=Dynamic,o=Intranet';

describe('NetMeeting pseudo-DNs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true });
  });
  afterAll(() => server.stop());

  it('adds under the real DN', async () => {
    const r = await ldapadd(server.url, ldifAdd(PSEUDO, { objectClass: ['rtPerson', 'dynamicObject'], cn: 'ann@example.com', sFlags: '1' }), { version: 2 });
    expect(r.code, explain(r)).toBe(0);
    const read = await ldapsearch(server.url, { base: REAL, scope: 'base', attrs: ['cn', 'entryDN'] });
    expect(read.entries.map((e) => e.dn)).toEqual([REAL]);
    expect(read.entries[0]?.one('cn')).toBe('ann@example.com');
  });

  it("answers NetMeeting's refresh: base scope, base objectClass=rtPerson, (sttl=N) in the filter ([MS-TAIL] §3.5.11, §4.2.2)", async () => {
    const filter = '(&(objectClass=rtPerson)(cn=ann@example.com)(sttl=10))';
    const r = await ldapsearch(server.url, { base: 'objectClass=rtPerson', scope: 'base', filter, attrs: ['cn', 'entryTTL'], version: 2 });
    expect(r.code, explain(r)).toBe(0);
    expect(r.entries.map((e) => e.dn)).toEqual([REAL]);
    expect(Number(r.entries[0]?.one('entryTTL'))).toBeGreaterThan(590); // refreshed to 10 minutes (added with 1800 s)
    expect(Number(r.entries[0]?.one('entryTTL'))).toBeLessThanOrEqual(600);
  });

  it('finds online users the same way ([MS-TAIL] §4.3.2): people only, whatever else matches the filter', async () => {
    const conference = await ldapadd(
      server.url,
      ldifAdd('uid=ann@example.com,ou=Dynamic,o=Intranet', { objectClass: ['rtConference', 'dynamicObject'], uid: 'ann@example.com', cn: 'ann@example.com' }),
    );
    expect(conference.code, explain(conference)).toBe(0);
    for (const scope of ['base', 'one', 'sub'] as const) {
      const r = await ldapsearch(server.url, { base: 'OBJECTCLASS=RTPERSON', scope, filter: '(cn=ann*)', attrs: ['cn'], version: 2 });
      expect(r.code, explain(r)).toBe(0);
      expect(r.entries.map((e) => e.dn), scope).toEqual([REAL]);
    }
    const none = await ldapsearch(server.url, { base: 'objectClass=rtPerson', scope: 'base', filter: '(cn=nobody*)', attrs: ['cn'] });
    expect(none.code, explain(none)).toBe(0);
    expect(none.entries).toEqual([]);
  });

  it('reads, modifies and deletes through the pseudo-DN', async () => {
    const base = await ldapsearch(server.url, { base: PSEUDO, scope: 'base', attrs: ['sFlags'] });
    expect(base.entries.map((e) => e.dn)).toEqual([REAL]);
    const modify = await ldapmodify(server.url, ldifModify(PSEUDO, [{ op: 'replace', attr: 'sFlags', values: ['0'] }]), { version: 2 });
    expect(modify.code, explain(modify)).toBe(0);
    expect((await ldapsearch(server.url, { base: REAL, scope: 'base', attrs: ['sFlags'] })).entries[0]?.one('sFlags')).toBe('0');
    const del = await ldapdelete(server.url, PSEUDO, { version: 2 });
    expect(del.code, explain(del)).toBe(0);
    expect((await ldapsearch(server.url, { base: REAL, scope: 'base' })).code).toBe(32);
  });

  it('leaves ordinary DNs alone', async () => {
    const r = await ldapsearch(server.url, { base: 'cn=nobody,objectClass=x,o=Intranet', scope: 'base' });
    expect(r.code).not.toBe(0);
  });
});
