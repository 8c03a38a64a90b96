/**
 * Access control through the wire. Default: anonymous clients read everything and write
 * nothing; a bound account adds under ou=dynamic and ou=applications; only the creator or
 * an admin modifies or deletes. With --ils-open, anonymous clients register and keep their
 * own entries, owned by their address; bound accounts own their entries by DN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dnKey,
  explain,
  ldapadd,
  ldapcompare,
  ldapdelete,
  ldapmodify,
  ldapsearch,
  ldifEntry,
  ldifModify,
  LDAP,
  type ConnectOptions,
  type LdifEntry,
  type ToolResult,
} from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  ADMIN,
  ALICE,
  ALICE_APP_USER,
  ALICE_PERSON,
  BOB,
  NETMEETING,
  SUFFIX,
  WEEKLY_SYNC,
  bindAs,
  conferenceDn,
  conferenceLdif,
  personLdif,
  personDn,
  type ConferenceSpec,
} from './fixtures/directory.js';

const anonymous: ConnectOptions = {};
const alice: ConnectOptions = { auth: bindAs(ALICE) };
const bob: ConnectOptions = { auth: bindAs(BOB) };
const admin: ConnectOptions = { auth: bindAs(ADMIN) };
const spec = (uid: string): ConferenceSpec => ({ ...WEEKLY_SYNC, uid });

function expectDenied(r: ToolResult): void {
  expect(r.code, explain(r)).toBe(LDAP.insufficientAccessRights);
  expect(r.info, `diagnostic of ${explain(r)}`).not.toBe('');
}

async function read(server: TestServer, dn: string, attrs = ['*']): Promise<LdifEntry | undefined> {
  const r = await ldapsearch(server.url, { base: dn, scope: 'base', attrs });
  if (r.code === LDAP.noSuchObject) return undefined;
  expect(r.code, explain(r)).toBe(LDAP.success);
  return r.entries[0];
}

const setProtocol = (dn: string, value: string): string => ldifModify(dn, [{ op: 'replace', attr: 'protocolID', values: [value] }]);

describe('default access', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts: [ALICE, BOB, ADMIN] });
    const r = await ldapadd(server.url, conferenceLdif(spec('Alice Conf')) + personLdif(ALICE_PERSON), alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
  });
  afterAll(() => server.stop());

  it('anonymous clients read everything (search and compare)', async () => {
    const r = await ldapsearch(server.url, { base: SUFFIX, attrs: ['*'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    const conf = r.entries.find((e) => dnKey(e.dn) === dnKey(conferenceDn('Alice Conf')));
    expect(conf?.has('conferenceBlob')).toBe(true);
    const c = await ldapcompare(server.url, conferenceDn('Alice Conf'), 'protocolID:IP Conference');
    expect(c.code, explain(c)).toBe(LDAP.compareTrue);
  });

  it('anonymous add is insufficientAccessRights (50) and makes nothing', async () => {
    expectDenied(await ldapadd(server.url, conferenceLdif(spec('Anon Conf')), anonymous));
    expect(await read(server, conferenceDn('Anon Conf'))).toBeUndefined();
  });

  it('anonymous LDAPv2 add is refused too (50)', async () => {
    expectDenied(await ldapadd(server.url, conferenceLdif(spec('Anon V2 Conf')), { version: 2 }));
    expect(await read(server, conferenceDn('Anon V2 Conf'))).toBeUndefined();
  });

  it('anonymous modify and delete are insufficientAccessRights (50) and change nothing', async () => {
    const dn = conferenceDn('Alice Conf');
    expectDenied(await ldapmodify(server.url, setProtocol(dn, 'Anon Was Here'), anonymous));
    expectDenied(await ldapdelete(server.url, dn, anonymous));
    expect((await read(server, dn))?.get('protocolID')).toEqual(['IP Conference']);
  });

  it('a bound account adds under ou=dynamic and under ou=applications (the appName container is created on the first registration)', async () => {
    const r = await ldapadd(server.url, ldifEntry(ALICE_APP_USER.dn, ALICE_APP_USER.attrs), alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(await read(server, ALICE_APP_USER.dn)).toBeDefined();
    const container = await read(server, NETMEETING, ['*']);
    expect(container?.get('appName').map((v) => v.toLowerCase())).toEqual(['ms-netmeeting']);
  });

  it('a bound account may not add elsewhere, e.g. directly under o=Intranet (50)', async () => {
    expectDenied(await ldapadd(server.url, ldifEntry(`uid=Top Conf,${SUFFIX}`, { objectClass: 'rtConference', uid: 'Top Conf' }), alice));
    expectDenied(await ldapadd(server.url, ldifEntry(`ou=mine,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'mine' }), alice));
    expect(await read(server, `uid=Top Conf,${SUFFIX}`)).toBeUndefined();
  });

  it('records the creator: creatorsName is the account DN, spelled as the account and the suffix are (o=Intranet, not o=intranet)', async () => {
    const e = await read(server, conferenceDn('Alice Conf'), ['creatorsName']);
    expect(e?.one('creatorsName')).toBe(bindAs(ALICE).dn);
  });

  it('another account may not modify or delete it (50), and nothing changes', async () => {
    for (const dn of [conferenceDn('Alice Conf'), personDn(ALICE_PERSON.cn)]) {
      expectDenied(await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'protocolID', values: ['Bob Was Here'] }]), bob));
      expectDenied(await ldapdelete(server.url, dn, bob));
      expect(await read(server, dn), dn).toBeDefined();
    }
    expect((await read(server, conferenceDn('Alice Conf')))?.get('protocolID')).toEqual(['IP Conference']);
  });

  it('another account may not change the entryTTL of it either (50)', async () => {
    const r = await ldapmodify(server.url, ldifModify(conferenceDn('Alice Conf'), [{ op: 'replace', attr: 'entryTTL', values: ['300'] }]), bob);
    expectDenied(r);
  });

  it('the creator modifies and deletes it', async () => {
    const c = spec('Alice Own');
    const add = await ldapadd(server.url, conferenceLdif(c), alice);
    expect(add.code, explain(add)).toBe(LDAP.success);
    const mod = await ldapmodify(server.url, setProtocol(conferenceDn(c.uid), 'Changed By Alice'), alice);
    expect(mod.code, explain(mod)).toBe(LDAP.success);
    const del = await ldapdelete(server.url, conferenceDn(c.uid), alice);
    expect(del.code, explain(del)).toBe(LDAP.success);
  });

  it('an admin modifies and deletes entries of others', async () => {
    const c = spec('Alice For Admin');
    const add = await ldapadd(server.url, conferenceLdif(c), alice);
    expect(add.code, explain(add)).toBe(LDAP.success);
    const mod = await ldapmodify(server.url, setProtocol(conferenceDn(c.uid), 'Changed By Admin'), admin);
    expect(mod.code, explain(mod)).toBe(LDAP.success);
    const e = await read(server, conferenceDn(c.uid), ['protocolID', 'modifiersName', 'creatorsName']);
    expect(e?.one('modifiersName')).toBe(bindAs(ADMIN).dn);
    expect(e?.one('creatorsName')).toBe(bindAs(ALICE).dn);
    const del = await ldapdelete(server.url, conferenceDn(c.uid), admin);
    expect(del.code, explain(del)).toBe(LDAP.success);
  });

  it('an admin change does not transfer ownership: the creator still modifies it', async () => {
    const dn = conferenceDn('Alice Conf');
    const byAdmin = await ldapmodify(server.url, setProtocol(dn, 'Admin Touch'), admin);
    expect(byAdmin.code, explain(byAdmin)).toBe(LDAP.success);
    const byAlice = await ldapmodify(server.url, setProtocol(dn, 'IP Conference'), alice);
    expect(byAlice.code, explain(byAlice)).toBe(LDAP.success);
    expectDenied(await ldapmodify(server.url, setProtocol(dn, 'Bob Again'), bob));
  });

  it('refusals for access come before schema checks: bob deleting a missing value of alice’s entry is still 50', async () => {
    const r = await ldapmodify(server.url, ldifModify(conferenceDn('Alice Conf'), [{ op: 'delete', attr: 'attendees', values: ['x'] }]), bob);
    expectDenied(r);
  });
});

describe('--ils-open', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true, accounts: [ALICE, BOB, ADMIN] });
  });
  afterAll(() => server.stop());

  it('anonymous clients add, modify (entryTTL and attributes) and delete their own entries', async () => {
    const c = spec('Anon Open');
    const dn = conferenceDn(c.uid);
    const add = await ldapadd(server.url, conferenceLdif(c), anonymous);
    expect(add.code, explain(add)).toBe(LDAP.success);
    const ttl = await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'entryTTL', values: ['1800'] }]), anonymous);
    expect(ttl.code, explain(ttl)).toBe(LDAP.success);
    const mod = await ldapmodify(server.url, setProtocol(dn, 'Anon Changed'), anonymous);
    expect(mod.code, explain(mod)).toBe(LDAP.success);
    expect((await read(server, dn))?.get('protocolID')).toEqual(['Anon Changed']);
    const del = await ldapdelete(server.url, dn, anonymous);
    expect(del.code, explain(del)).toBe(LDAP.success);
    expect(await read(server, dn)).toBeUndefined();
  });

  it('anonymous LDAPv2 clients (NetMeeting) register too', async () => {
    const c = spec('Anon V2 Open');
    const add = await ldapadd(server.url, conferenceLdif(c), { version: 2 });
    expect(add.code, explain(add)).toBe(LDAP.success);
    const del = await ldapdelete(server.url, conferenceDn(c.uid), { version: 2 });
    expect(del.code, explain(del)).toBe(LDAP.success);
  });

  it('anonymous clients still cannot add outside ou=dynamic and ou=applications (50)', async () => {
    expectDenied(await ldapadd(server.url, ldifEntry(`uid=Top Anon,${SUFFIX}`, { objectClass: 'rtConference', uid: 'Top Anon' }), anonymous));
  });

  it('anonymous clients cannot delete the static tree (50)', async () => {
    const r = await ldapdelete(server.url, `ou=applications,${SUFFIX}`, anonymous);
    expectDenied(r);
  });

  it('a bound account owns its entries by DN: anonymous clients (same address) cannot modify or delete them (50)', async () => {
    const c = spec('Alice Open');
    const add = await ldapadd(server.url, conferenceLdif(c), alice);
    expect(add.code, explain(add)).toBe(LDAP.success);
    expectDenied(await ldapmodify(server.url, setProtocol(conferenceDn(c.uid), 'Anon Was Here'), anonymous));
    expectDenied(await ldapdelete(server.url, conferenceDn(c.uid), anonymous));
    expectDenied(await ldapmodify(server.url, setProtocol(conferenceDn(c.uid), 'Bob Was Here'), bob));
    expect((await read(server, conferenceDn(c.uid)))?.get('protocolID')).toEqual(['IP Conference']);
  });

  it('a bound non-admin account cannot modify or delete an entry created anonymously (50)', async () => {
    const c = spec('Anon Owned');
    const add = await ldapadd(server.url, conferenceLdif(c), anonymous);
    expect(add.code, explain(add)).toBe(LDAP.success);
    expectDenied(await ldapmodify(server.url, setProtocol(conferenceDn(c.uid), 'Alice Was Here'), alice));
    expectDenied(await ldapdelete(server.url, conferenceDn(c.uid), alice));
    expect((await read(server, conferenceDn(c.uid)))?.get('protocolID')).toEqual(['IP Conference']);
  });

  it('an admin modifies and deletes an anonymous entry', async () => {
    const c = spec('Anon For Admin');
    const add = await ldapadd(server.url, conferenceLdif(c), anonymous);
    expect(add.code, explain(add)).toBe(LDAP.success);
    const mod = await ldapmodify(server.url, setProtocol(conferenceDn(c.uid), 'Admin Changed'), admin);
    expect(mod.code, explain(mod)).toBe(LDAP.success);
    const del = await ldapdelete(server.url, conferenceDn(c.uid), admin);
    expect(del.code, explain(del)).toBe(LDAP.success);
  });
});
