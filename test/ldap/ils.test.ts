/**
 * Replays of the ILS operation sequences of [MS-TAIL] (see ils-and-tapi.md 2.9): Phone
 * Dialer's conference creation with its access check, conference and people enumeration,
 * the six-step TAPI user registration, NetMeeting's registration and searches with the wire
 * names. Each sequence runs on one connection, as the client does, and must succeed step by
 * step; then the resulting entries are checked.
 *
 * The same replays run twice: as a bound account on a default server (standing in for the
 * NTLM bind of Phone Dialer) and anonymously on an --ils-open server (as NetMeeting and old
 * ILS servers did).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnKey, dnKeys, explain, ldapmodify, ldapsearch, LDAP, type ConnectOptions, type LdifEntry } from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ALICE, DYNAMIC, NETMEETING, SECURITY_DESCRIPTOR, bindAs, dialerBlob, fixture, generalizedTime } from './fixtures/directory.js';

const DIALER_CONFERENCE = `uid=Demo Conference,${DYNAMIC}`;
const TEMPORARY = `uid=19168,${DYNAMIC}`;
const TAPI_APP_USER = `cn=egruber]w2kils.testdomain.int,${NETMEETING}`;
const TAPI_PERSON = `cn=egruber]w2kils.testdomain.int,${DYNAMIC}`;
const NM_PERSON = `cn=egruber@contoso.com,${DYNAMIC}`;
/** NetMeeting's application entry ([MS-TAIL] §3.5.3): the server keeps it beside the person. */
const NM_APPLICATION = `cn=egruber@contoso.com,${NETMEETING}`;
/** Dialer's default conference: from now for thirty minutes (whole minutes, a minute ahead). */
const DIALER_START = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000).toISOString();
const DIALER_STOP = new Date(Date.parse(DIALER_START) + 30 * 60_000).toISOString();
const DIALER_BLOB = dialerBlob(DIALER_START, DIALER_STOP);
const DIALER_LDIF = fixture('ils-dialer-create-conference.ldif', { DIALER_BLOB_BASE64: Buffer.from(DIALER_BLOB).toString('base64') });

/** The operations ldapmodify announced on stdout, in order ("adding new entry", "modifying entry", "deleting entry"). */
function announced(stdout: string): string[] {
  return [...stdout.matchAll(/^(adding new entry|modifying entry|deleting entry) "(.*)"$/gm)].map((m) => `${m[1]} ${dnKey(m[2]!)}`);
}

const modes: Array<[string, { ilsOpen: boolean; client: ConnectOptions; netmeeting: ConnectOptions }]> = [
  ['a bound account on a default server', { ilsOpen: false, client: { auth: bindAs(ALICE) }, netmeeting: { auth: bindAs(ALICE), version: 2 } }],
  ['anonymous clients on an --ils-open server', { ilsOpen: true, client: {}, netmeeting: { version: 2, auth: { dn: '', password: '' } } }],
];

describe.each(modes)('ILS replays: %s', (_mode, { ilsOpen, client, netmeeting }) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen, accounts: [ALICE] });
  });
  afterAll(() => server.stop());

  describe('Phone Dialer creates a conference ([MS-TAIL] 4.7)', () => {
    it('access check (add, modify entryTTL=300, delete a temporary uid=19168), add, modify entryTTL: every step succeeds in order', async () => {
      const r = await ldapmodify(server.url, DIALER_LDIF, client);
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(announced(r.stdout), explain(r)).toEqual([
        `adding new entry ${dnKey(TEMPORARY)}`,
        `modifying entry ${dnKey(TEMPORARY)}`,
        `deleting entry ${dnKey(TEMPORARY)}`,
        `adding new entry ${dnKey(DIALER_CONFERENCE)}`,
        `modifying entry ${dnKey(DIALER_CONFERENCE)}`,
      ]);
      expect(r.stderr, explain(r)).toBe('');
    });

    it('leaves no trace of the temporary entry', async () => {
      const r = await ldapsearch(server.url, { base: TEMPORARY, scope: 'base' });
      expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
    });

    it('the conference holds what Dialer sent (no cn: ILS names it by uid) and the attributes derived from the blob', async () => {
      const r = await ldapsearch(server.url, { base: DIALER_CONFERENCE, scope: 'base', attrs: ['*'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      const e = r.entries[0]!;
      expect(e.get('objectClass').map((v) => v.toLowerCase()).sort()).toEqual(expect.arrayContaining(['dynamicobject', 'rtconference']));
      expect(e.get('uid')).toEqual(['Demo Conference']);
      expect(e.has('cn')).toBe(false);
      expect(e.get('protocolID')).toEqual(['IP Conference']);
      expect(e.get('conferenceBlob')).toEqual([DIALER_BLOB]);
      expect(e.base64('ntSecurityDescriptor')).toEqual([SECURITY_DESCRIPTOR.toString('base64')]);
      expect(e.get('startTime')).toEqual([generalizedTime(DIALER_START)]);
      expect(e.get('stopTime')).toEqual([generalizedTime(DIALER_STOP)]);
      expect(e.get('originator')).toEqual(['administrator']);
      expect(e.get('generalDescription')).toEqual(['A description goes here']);
      expect(e.get('advertisingScope')).toEqual(['2']); // TTL 15: site
      expect(e.get('isEncrypted')).toEqual(['0']);
      expect(e.has('url')).toBe(false);
    });

    it('creating it again is entryAlreadyExists (68) at the add, after a successful access check', async () => {
      const r = await ldapmodify(server.url, DIALER_LDIF, client);
      expect(r.code, explain(r)).toBe(LDAP.entryAlreadyExists);
      expect(announced(r.stdout).slice(-1)).toEqual([`adding new entry ${dnKey(DIALER_CONFERENCE)}`]);
      const temp = await ldapsearch(server.url, { base: TEMPORARY, scope: 'base' });
      expect(temp.code, explain(temp)).toBe(LDAP.noSuchObject);
    });
  });

  describe('Phone Dialer registers its user: the six steps of [MS-TAIL] 4.5', () => {
    it('bind; add rtApplicationUser; modify entryTTL=1800; add rtPerson (19 attributes); modify entryTTL=1800; unbind', async () => {
      const r = await ldapmodify(server.url, fixture('ils-tapi-register-user.ldif'), client);
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(announced(r.stdout), explain(r)).toEqual([
        `adding new entry ${dnKey(TAPI_APP_USER)}`,
        `modifying entry ${dnKey(TAPI_APP_USER)}`,
        `adding new entry ${dnKey(TAPI_PERSON)}`,
        `modifying entry ${dnKey(TAPI_PERSON)}`,
      ]);
      expect(r.stderr, explain(r)).toBe('');
    });

    it('created the appName=MS-NetMeeting container and the application user', async () => {
      const r = await ldapsearch(server.url, { base: NETMEETING, scope: 'sub', attrs: ['*'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(dnKeys(r.entries)).toEqual([NETMEETING, TAPI_APP_USER].map(dnKey).sort());
      const user = r.entries.find((e) => dnKey(e.dn) === dnKey(TAPI_APP_USER))!;
      expect(user.get('cn')).toEqual(['egruber]w2kils.testdomain.int']);
      expect(user.get('applicationID')).toEqual(['ms-netmeeting']);
      expect(user.get('protocolID')).toEqual(['H323']);
      expect(user.get('port')).toEqual(['1720']);
      expect(user.get('userObject')).toEqual(['cn=egruber]w2kils.testdomain.int']);
    });

    it('the person holds the 19 attributes, under their canonical names, and cn from the RDN', async () => {
      const r = await ldapsearch(server.url, { base: TAPI_PERSON, scope: 'base', attrs: ['*'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      const e = r.entries[0]!;
      const expected: Record<string, string[]> = {
        cn: ['egruber]w2kils.testdomain.int'],
        ipAddress: ['3808471232'],
        mail: ['egruber'],
        givenName: ['eric'],
        sn: [' '],
        location: ['N/A'],
        sFlags: ['1'],
        c: ['US'],
        comment: ['Generated by TAPI3'],
        securityToken: ['1508109'],
        smodop: ['0'],
        mimeType: ['text/iuls'],
        guid: ['008aff194794cf118796444553540000'],
        protocolMimeType: ['H323'],
        port: ['1720'],
        ILSA39321630: ['4'],
        ILSA26214430: ['0'],
        ILSA32964638: ['1'],
        ILSA32833566: ['1'],
      };
      for (const [name, values] of Object.entries(expected)) expect(e.get(name), name).toEqual(values);
    });
  });

  describe('Phone Dialer enumerates ([MS-TAIL] 4.8, 4.9)', () => {
    const attrsOnly = (e: LdifEntry, allowed: string[]): void => {
      const lower = allowed.map((a) => a.toLowerCase());
      for (const name of e.lowerNames()) expect(lower, `${e.dn}: ${name} was not requested`).toContain(name);
    };

    it('conferences: base "ou=dynamic, o=Intranet", one level, (uid=*), uid protocolId conferenceBlob ntSecurityDescriptor', async () => {
      const r = await ldapsearch(server.url, {
        base: 'ou=dynamic, o=Intranet',
        scope: 'one',
        filter: '(uid=*)',
        attrs: ['uid', 'protocolId', 'conferenceBlob', 'ntSecurityDescriptor'],
      });
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(dnKeys(r.entries)).toEqual([dnKey(DIALER_CONFERENCE)]);
      const e = r.entries[0]!;
      attrsOnly(e, ['uid', 'protocolID', 'conferenceBlob', 'ntSecurityDescriptor']);
      expect(e.get('uid')).toEqual(['Demo Conference']);
      expect(e.get('protocolId')).toEqual(['IP Conference']);
      expect(e.get('conferenceBlob')).toEqual([DIALER_BLOB]);
      expect(e.base64('ntSecurityDescriptor')).toEqual([SECURITY_DESCRIPTOR.toString('base64')]);
    });

    it('conferences by name: (uid=NAME*), in any case', async () => {
      for (const filter of ['(uid=Demo*)', '(uid=demo conf*)', '(uid=DEMO CONFERENCE*)']) {
        const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter, attrs: ['uid', 'protocolId', 'conferenceBlob', 'ntSecurityDescriptor'] });
        expect(dnKeys(r.entries), `${filter}\n${explain(r)}`).toEqual([dnKey(DIALER_CONFERENCE)]);
      }
      const none = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter: '(uid=Nothing*)', attrs: ['uid'] });
      expect(none.code, explain(none)).toBe(LDAP.success);
      expect(none.entries).toEqual([]);
    });

    it('people: one level, (cn=*), cn ipAddress ntSecurityDescriptor', async () => {
      const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter: '(cn=*)', attrs: ['cn', 'ipAddress', 'ntSecurityDescriptor'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      const person = r.entries.find((e) => dnKey(e.dn) === dnKey(TAPI_PERSON));
      expect(person, explain(r)).toBeDefined();
      attrsOnly(person!, ['cn', 'ipAddress', 'ntSecurityDescriptor']);
      expect(person!.get('cn')).toEqual(['egruber]w2kils.testdomain.int']);
      expect(person!.get('ipAddress')).toEqual(['3808471232']);
      for (const e of r.entries) attrsOnly(e, ['cn', 'ipAddress', 'ntSecurityDescriptor']);
      // People only: Dialer's conference, named by uid, has no cn.
      expect(r.entries.filter((e) => dnKey(e.dn) === dnKey(DIALER_CONFERENCE)), explain(r)).toEqual([]);
    });

    it('people by name: (cn=NAME*)', async () => {
      const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter: '(cn=EGRUBER]*)', attrs: ['cn', 'ipAddress', 'ntSecurityDescriptor'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(dnKeys(r.entries)).toEqual([dnKey(TAPI_PERSON)]);
    });

    it('the generic lists: (ObjectClass=rtConference) and (ObjectClass=rtPerson) under ou=Dynamic,o=intranet', async () => {
      const conferences = await ldapsearch(server.url, { base: 'ou=Dynamic,o=intranet', filter: '(ObjectClass=rtConference)', attrs: ['1.1'] });
      expect(dnKeys(conferences.entries), explain(conferences)).toEqual([dnKey(DIALER_CONFERENCE)]);
      const people = await ldapsearch(server.url, { base: 'ou=Dynamic,o=intranet', filter: '(ObjectClass=rtPerson)', attrs: ['1.1'] });
      expect(dnKeys(people.entries), explain(people)).toEqual([dnKey(TAPI_PERSON)]);
    });
  });

  describe('NetMeeting registers and searches ([MS-TAIL] 4.1, 4.3, 4.11.2) over LDAPv2', () => {
    it('add with the wire names (sipaddress, ssecurity, ilsA...) and the modify setting sappid, sprotid, sport... on one connection', async () => {
      const r = await ldapmodify(server.url, fixture('ils-netmeeting-register-user.ldif'), netmeeting);
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(announced(r.stdout), explain(r)).toEqual([`adding new entry ${dnKey(NM_PERSON)}`, `modifying entry ${dnKey(NM_PERSON)}`]);
    });

    it('stored the values under the attributes the wire names stand for', async () => {
      const r = await ldapsearch(server.url, { base: NM_PERSON, scope: 'base', attrs: ['*'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      const e = r.entries[0]!;
      expect(e.get('ipAddress')).toEqual(['3758139584']);
      expect(e.get('securityToken')).toEqual(['21912384']);
      expect(e.get('c')).toEqual(['-']);
      expect(e.get('applicationID')).toEqual(['ms-netmeeting']);
      expect(e.get('mimeType')).toEqual(['text/iuls']);
      expect(e.get('guid')).toEqual(['008aff194794cf118796444553540000']);
      expect(e.get('protocolID').sort()).toEqual(['H323', 'T120']);
      expect(e.get('protocolMimeType').sort()).toEqual(['text/h323', 'text/t120']);
      expect(e.get('port').sort()).toEqual(['1503', '1720']);
      expect(e.get('smodop')).toEqual(['2']);
      expect(e.get('ILSA26279966')).toEqual(['84020942']);
    });

    it('a registration is two entries ([MS-TAIL] §3.5.3): the person, and its rtApplicationUser under appName=MS-NetMeeting with the application attributes', async () => {
      const r = await ldapsearch(server.url, { base: NM_APPLICATION, scope: 'base', attrs: ['*', 'creatorsName'] });
      expect(r.code, explain(r)).toBe(LDAP.success);
      const e = r.entries[0]!;
      expect(e.get('objectClass')).toEqual(['rtApplicationUser']);
      expect(e.get('cn')).toEqual(['egruber@contoso.com']);
      expect(e.get('applicationID')).toEqual(['ms-netmeeting']);
      expect(e.get('protocolID').sort()).toEqual(['H323', 'T120']);
      expect(e.get('protocolMimeType').sort()).toEqual(['text/h323', 'text/t120']);
      expect(e.get('port').sort()).toEqual(['1503', '1720']);
      expect(e.get('guid')).toEqual(['008aff194794cf118796444553540000']);
      expect(e.get('mimeType')).toEqual(['text/iuls']);
      expect(e.get('userObject')).toEqual(['cn=egruber@contoso.com']);
      expect(e.has('ipAddress')).toBe(false); // a person's attribute rtApplicationUser does not allow
      const person = await ldapsearch(server.url, { base: NM_PERSON, scope: 'base', attrs: ['creatorsName'] });
      expect(e.get('creatorsName'), 'owned by whoever registered').toEqual(person.entries[0]?.get('creatorsName'));
    });

    it.each([
      ['(&(objectClass=rtPerson)(cn=egruber@contoso.com))', [NM_PERSON]],
      ['(&(objectClass=rtPerson)(cn=EGRUBER@CONTOSO.COM)(sappid=ms-netmeeting))', [NM_PERSON]],
      ['(&(objectClass=rtPerson)(cn=egruber@contoso.com)(sappid=ms-netmeeting)(sprotid=h323))', [NM_PERSON]],
      ['(&(objectClass=rtPerson)(cn=egruber@contoso.com)(sprotid=t120))', [NM_PERSON]],
      ['(&(objectClass=rtPerson)(cn=egruber@contoso.com)(sappid=other-app))', []],
      ['(&(objectClass=rtPerson)(cn=egruber@contoso.com)(sprotid=sip))', []],
      ['(&(objectClass=rtConference)(uid=Demo Conference))', [DIALER_CONFERENCE]],
      ['(&(objectClass=rtConference)(cn=Demo Conference))', []],
    ])('%s', async (filter, dns) => {
      for (const scope of ['sub', 'one'] as const) {
        const r = await ldapsearch(server.url, { ...netmeeting, base: 'ou=Dynamic,o=Intranet', scope, filter, attrs: ['1.1'] });
        expect(r.code, explain(r)).toBe(LDAP.success);
        expect(dnKeys(r.entries), `${scope} ${filter}\n${explain(r)}`).toEqual(dns.map(dnKey).sort());
      }
    });

    it('finds online users the NetMeeting way: (&(objectClass=rtPerson)(cn=*)(sappid=ms-netmeeting)(sprotid=h323))', async () => {
      const r = await ldapsearch(server.url, {
        ...netmeeting,
        base: 'ou=Dynamic,o=Intranet',
        filter: '(&(objectClass=rtPerson)(cn=*)(sappid=ms-netmeeting)(sprotid=h323))',
        attrs: ['cn', 'sipaddress', 'givenname', 'surname', 'location', 'comment'],
      });
      expect(r.code, explain(r)).toBe(LDAP.success);
      expect(dnKeys(r.entries)).toEqual([dnKey(NM_PERSON)]);
      const e = r.entries[0]!;
      expect([...e.get('ipAddress'), ...e.get('sipaddress')]).toEqual(['3758139584']);
      expect([...e.get('sn'), ...e.get('surname')]).toEqual(['Gruber']);
      expect(e.get('givenName')).toEqual(['Eric']);
    });
  });

  describe('keep-alive and unregister', () => {
    it('Dialer keep-alive: modify entryTTL=1800 of both of its objects ([MS-TAIL] 4.6)', async () => {
      const ldif = [TAPI_APP_USER, TAPI_PERSON].map((dn) => `dn: ${dn}\nchangetype: modify\nreplace: EntryTTL\nEntryTTL: 1800\n-\n\n`).join('');
      const r = await ldapmodify(server.url, ldif, client);
      expect(r.code, explain(r)).toBe(LDAP.success);
    });

    it('Dialer keep-alive as [MS-TAIL] 4.6.2 prints it, EntryTTL=180000: granted the --ttl-max of 86400 s, not refused', async () => {
      const ldif = [TAPI_APP_USER, TAPI_PERSON].map((dn) => `dn: ${dn}\nchangetype: modify\nreplace: EntryTTL\nEntryTTL: 180000\n-\n\n`).join('');
      const r = await ldapmodify(server.url, ldif, client);
      expect(r.code, explain(r)).toBe(LDAP.success);
      for (const dn of [TAPI_APP_USER, TAPI_PERSON]) {
        const read = await ldapsearch(server.url, { base: dn, scope: 'base', attrs: ['entryTTL'] });
        expect(Number(read.entries[0]?.one('entryTTL')), explain(read)).toBeGreaterThan(86_390);
        expect(Number(read.entries[0]?.one('entryTTL')), explain(read)).toBeLessThanOrEqual(86_400);
      }
    });

    it('NetMeeting unregisters: delete its person ([MS-TAIL] 4.4), which removes its application entry too (§3.5.4)', async () => {
      const r = await ldapmodify(server.url, `dn: ${NM_PERSON}\nchangetype: delete\n\n`, netmeeting);
      expect(r.code, explain(r)).toBe(LDAP.success);
      const gone = await ldapsearch(server.url, { base: NM_PERSON, scope: 'base' });
      expect(gone.code, explain(gone)).toBe(LDAP.noSuchObject);
      const application = await ldapsearch(server.url, { base: NM_APPLICATION, scope: 'base' });
      expect(application.code, explain(application)).toBe(LDAP.noSuchObject);
      // TAPI's own registration under the same container stays.
      const tapi = await ldapsearch(server.url, { base: TAPI_APP_USER, scope: 'base', attrs: ['1.1'] });
      expect(tapi.code, explain(tapi)).toBe(LDAP.success);
    });
  });
});
