/**
 * Add, modify, delete, compare and modifyDN through the wire (ldapadd, ldapmodify,
 * ldapdelete, ldapcompare, ldapmodrdn) with RFC 4511 semantics: every refusal is its exact
 * result code with a diagnostic a person understands, and leaves the directory unchanged.
 * The conference blob is validated strictly; the attributes derived from it cannot be
 * written; binary values round-trip byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dnKey,
  explain,
  ldapadd,
  ldapcompare,
  ldapdelete,
  ldapmodify,
  ldapmodrdn,
  ldapsearch,
  ldifEntry,
  ldifModify,
  LDAP,
  type LdifAttributes,
  type LdifChange,
  type LdifEntry,
  type ToolResult,
} from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  ADMIN,
  ALICE,
  ALL_BYTES,
  APPLICATIONS,
  DERIVED,
  DESIGN_REVIEW,
  DYNAMIC,
  SECURITY_DESCRIPTOR,
  SUFFIX,
  WEEKLY_SYNC,
  bindAs,
  conferenceBlob,
  conferenceDn,
  conferenceLdif,
  derivedAttributes,
  generalizedTime,
  generalizedTimePlus0100,
  personDn,
  type ConferenceSpec,
} from './fixtures/directory.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ accounts: [ALICE, ADMIN] });
});
afterAll(() => server.stop());

const alice = { auth: bindAs(ALICE) };
const admin = { auth: bindAs(ADMIN) };

/** A conference spec with its own uid (tests do not share entries). */
const spec = (uid: string, base: ConferenceSpec = WEEKLY_SYNC): ConferenceSpec => ({ ...base, uid });

async function addConference(c: ConferenceSpec, extra: LdifAttributes = {}): Promise<void> {
  const r = await ldapadd(server.url, conferenceLdif(c, extra), alice);
  expect(r.code, explain(r)).toBe(LDAP.success);
}

/** Reads one entry with all user and operational attributes; undefined when it does not exist. */
async function read(dn: string, attrs = ['*', '+']): Promise<LdifEntry | undefined> {
  const r = await ldapsearch(server.url, { base: dn, scope: 'base', attrs });
  if (r.code === LDAP.noSuchObject) return undefined;
  expect(r.code, explain(r)).toBe(LDAP.success);
  return r.entries[0];
}

/** The entry as comparable text, minus what changes by itself (entryTtl). */
async function state(dn: string): Promise<string[] | undefined> {
  const e = await read(dn);
  return e?.lines.filter((l) => l.name.toLowerCase() !== 'entryttl').map((l) => `${l.name}: ${l.value.toString('base64')}`);
}

function modify(dn: string, changes: LdifChange[], options = alice): Promise<ToolResult> {
  return ldapmodify(server.url, ldifModify(dn, changes), options);
}

/** Expects a refusal with this code and a non-empty diagnostic. */
function expectRefused(r: ToolResult, code: number, info?: RegExp): void {
  expect(r.code, explain(r)).toBe(code);
  expect(r.info, `diagnostic of ${explain(r)}`).not.toBe('');
  if (info) expect(r.info, explain(r)).toMatch(info);
}

const INVALID_BLOB = conferenceBlob(WEEKLY_SYNC).replace('c=IN IP4 239.255.10.1/15', 'c=IN IP4 239.255.10.1');

describe('add', () => {
  it('stores a conference, with no cn it was not given; the blob comes back byte for byte', async () => {
    const c = spec('Add Basic');
    await addConference(c);
    const e = await read(conferenceDn(c.uid), ['*']);
    expect(e?.get('uid')).toEqual([c.uid]);
    expect(e?.has('cn')).toBe(false);
    expect(e?.get('protocolID')).toEqual(['IP Conference']);
    expect(e?.base64('conferenceBlob')).toEqual([Buffer.from(conferenceBlob(c), 'utf8').toString('base64')]);
  });

  it('keeps a cn the client gives', async () => {
    const c = spec('Add With Cn');
    await addConference(c, { cn: 'Another Name' });
    expect((await read(conferenceDn(c.uid), ['cn']))?.get('cn')).toEqual(['Another Name']);
  });

  it('adds the RDN value when the client leaves it out (RFC 4511 4.7)', async () => {
    const dn = conferenceDn('Rdn Only');
    const r = await ldapadd(server.url, ldifEntry(dn, { objectClass: ['rtConference', 'dynamicObject'], protocolID: 'IP Conference' }), alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect((await read(dn, ['uid']))?.get('uid')).toEqual(['Rdn Only']);
  });

  it('stores ntSecurityDescriptor byte for byte (a real descriptor, and all 256 byte values)', async () => {
    for (const [uid, value] of [
      ['Binary SD', SECURITY_DESCRIPTOR],
      ['Binary All Bytes', ALL_BYTES],
    ] as const) {
      await addConference(spec(uid), { ntSecurityDescriptor: value });
      const e = await read(conferenceDn(uid), ['ntSecurityDescriptor']);
      expect(e?.base64('ntSecurityDescriptor'), uid).toEqual([value.toString('base64')]);
    }
  });

  it('an existing DN, in any case, is entryAlreadyExists (68)', async () => {
    const c = spec('Add Twice');
    await addConference(c);
    expectRefused(await ldapadd(server.url, conferenceLdif(c), alice), LDAP.entryAlreadyExists);
    const upper = conferenceLdif(c).replace('dn: uid=Add Twice,', 'dn: UID=ADD TWICE,');
    expectRefused(await ldapadd(server.url, upper, alice), LDAP.entryAlreadyExists);
  });

  it('a missing parent is noSuchObject (32) with the deepest existing entry as matchedDN', async () => {
    const r = await ldapadd(server.url, ldifEntry(`uid=Orphan,ou=nowhere,${SUFFIX}`, { objectClass: 'rtConference', uid: 'Orphan' }), admin);
    expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
    expect(dnKey(r.matchedDN ?? ''), explain(r)).toBe(dnKey(SUFFIX));
  });

  it('an invalid blob is invalidAttributeSyntax (21) with the validator messages, and no entry is made', async () => {
    const c = spec('Bad Blob');
    const r = await ldapadd(server.url, conferenceLdif(c, { conferenceBlob: INVALID_BLOB }), alice);
    expectRefused(r, LDAP.invalidAttributeSyntax, /line 6: c=: .*TTL/);
    expect(await read(conferenceDn(c.uid))).toBeUndefined();
  });

  it('reports every problem of a blob at once', async () => {
    const blob = conferenceBlob(WEEKLY_SYNC).replace('s=Weekly Sync', 's=').replace('c=IN IP4 239.255.10.1/15', 'c=IN IP4 239.255.10.1');
    const r = await ldapadd(server.url, conferenceLdif(spec('Two Problems'), { conferenceBlob: blob }), alice);
    expectRefused(r, LDAP.invalidAttributeSyntax, /line 3: s=/);
    expect(r.info).toMatch(/line 6: c=/);
  });

  it('a blob with bare LF line endings is accepted (RFC 8866 §5) and stored as sent, its attributes derived', async () => {
    const c = spec('LF Blob');
    const blob = conferenceBlob(c).replace(/\r\n/g, '\n');
    const r = await ldapadd(server.url, conferenceLdif(c, { conferenceBlob: blob }), alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
    const e = await read(conferenceDn('LF Blob'), ['conferenceBlob', 'startTime', 'originator']);
    expect(e?.base64('conferenceBlob')).toEqual([Buffer.from(blob).toString('base64')]);
    expect(e?.get('startTime')).toEqual([generalizedTime(c.start)]);
    expect(e?.get('originator')).toEqual([c.originator]);
  });

  it.each(DERIVED.map((name) => [name]))('writing the derived attribute %s is constraintViolation (19) with a message that says to change conferenceBlob', async (name) => {
    const values: Record<string, string> = {
      startTime: '20261210100000Z',
      stopTime: '20261210110000Z',
      originator: 'alice',
      generalDescription: 'Team meeting',
      advertisingScope: '2',
      isEncrypted: '0',
      url: 'http://example.com/weekly',
    };
    const c = spec(`Derived ${name}`);
    const r = await ldapadd(server.url, conferenceLdif(c, { [name]: values[name]! }), alice);
    expectRefused(r, LDAP.constraintViolation, /conferenceBlob/);
    expect(await read(conferenceDn(c.uid))).toBeUndefined();
  });

  it('an entry without objectClass is objectClassViolation (65)', async () => {
    expectRefused(await ldapadd(server.url, ldifEntry(conferenceDn('No Class'), { uid: 'No Class' }), alice), LDAP.objectClassViolation);
  });

  it('a missing MUST attribute is objectClassViolation (65): an rtConference named by cn has no uid', async () => {
    const r = await ldapadd(server.url, ldifEntry(`cn=No Uid,${DYNAMIC}`, { objectClass: 'rtConference', cn: 'No Uid' }), alice);
    expectRefused(r, LDAP.objectClassViolation, /uid/);
  });

  it('an attribute the classes do not allow is objectClassViolation (65)', async () => {
    const r = await ldapadd(server.url, conferenceLdif(spec('Not Allowed'), { ipAddress: '16777343' }), alice);
    expectRefused(r, LDAP.objectClassViolation, /ipAddress/i);
  });

  it('an attribute the schema does not define is undefinedAttributeType (17)', async () => {
    const r = await ldapadd(server.url, conferenceLdif(spec('Unknown Attr'), { fooBarBaz: '1' }), alice);
    expectRefused(r, LDAP.undefinedAttributeType, /fooBarBaz/i);
  });

  it('a value that does not fit the syntax is invalidAttributeSyntax (21): ipAddress "not a number", sFlags "yes"', async () => {
    for (const [cn, attrs] of [
      ['Bad Ip', { ipAddress: 'not a number' }],
      ['Bad Flags', { sFlags: 'yes' }],
    ] as const) {
      const r = await ldapadd(server.url, ldifEntry(personDn(cn), { objectClass: ['rtPerson', 'dynamicObject'], cn, ...attrs }), alice);
      expectRefused(r, LDAP.invalidAttributeSyntax, new RegExp(Object.keys(attrs)[0]!, 'i'));
      expect(await read(personDn(cn))).toBeUndefined();
    }
  });

  it('a DN-syntax value that is no DN is invalidAttributeSyntax (21), as slapd refuses it; a DN is taken', async () => {
    const bad = await ldapadd(server.url, ldifEntry(personDn('Bad See Also'), { objectClass: ['person'], cn: 'Bad See Also', sn: 'Also', seeAlso: 'not a dn' }), alice);
    expectRefused(bad, LDAP.invalidAttributeSyntax, /seeAlso: invalid DN 'not a dn'/);
    expect(await read(personDn('Bad See Also'))).toBeUndefined();
    const good = await ldapadd(server.url, ldifEntry(personDn('Good See Also'), { objectClass: ['person'], cn: 'Good See Also', sn: 'Also', seeAlso: 'cn=x,o=Intranet' }), alice);
    expect(good.code, good.stderr).toBe(0);
  });

  it('values slapd stores none of, or refuses by their syntax, are invalidAttributeSyntax (21), on add and modify (a replica would stall on them)', async () => {
    const dn = personDn('Post Office');
    const bad = await ldapadd(server.url, ldifEntry(dn, { objectClass: ['organizationalPerson'], cn: 'Post Office', sn: 'Office', preferredDeliveryMethod: 'pigeon' }), alice);
    expectRefused(bad, LDAP.invalidAttributeSyntax, /preferredDeliveryMethod: 'pigeon' is not a delivery method/);
    expect(await read(dn)).toBeUndefined();
    const good = await ldapadd(server.url, ldifEntry(dn, { objectClass: ['organizationalPerson'], cn: 'Post Office', sn: 'Office', preferredDeliveryMethod: 'telephone $ g3fax', telexNumber: '123$DE$ans' }), alice);
    expect(good.code, good.stderr).toBe(0);
    expectRefused(await modify(dn, [{ op: 'replace', attr: 'telexNumber', values: ['$$'] }]), LDAP.invalidAttributeSyntax, /telexNumber: '\$\$' is not printable strings separated by \$/);
    expectRefused(await modify(dn, [{ op: 'add', attr: 'postalAddress', values: ['1 Main St\\zz$Springfield'] }]), LDAP.invalidAttributeSyntax, /backslash/);
    const org = await ldapadd(server.url, ldifEntry(`o=Guided,${DYNAMIC}`, { objectClass: ['organization'], o: 'Guided', searchGuide: 'person#(cn$EQ)' }), alice);
    expectRefused(org, LDAP.invalidAttributeSyntax, /searchGuide: no value of this syntax is accepted/);
    expect((await read(dn))?.lines.find((l) => l.name === 'telexNumber')?.value.toString()).toBe('123$DE$ans');
  });

  it('two values of a SINGLE-VALUE attribute are constraintViolation (19)', async () => {
    const person = await ldapadd(
      server.url,
      ldifEntry(personDn('Two Flags'), { objectClass: ['rtPerson', 'dynamicObject'], cn: 'Two Flags', sFlags: ['1', '0'] }),
      alice,
    );
    expectRefused(person, LDAP.constraintViolation, /sFlags/i);
    const c = spec('Two Blobs');
    const blobs = await ldapadd(server.url, conferenceLdif(c, { conferenceBlob: [conferenceBlob(c), conferenceBlob(spec('Other'))] }), alice);
    expectRefused(blobs, LDAP.constraintViolation, /conferenceBlob/i);
  });

  it('an RDN attribute the class does not allow is namingViolation (64): description=x with rtPerson', async () => {
    const r = await ldapadd(server.url, ldifEntry(`description=x,${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn: 'x' }), alice);
    expectRefused(r, LDAP.namingViolation);
    expect(await read(`description=x,${DYNAMIC}`)).toBeUndefined();
  });

  it('with extensibleObject any user attribute may name the entry, as the entry check allows it: description=y with rtPerson', async () => {
    const r = await ldapadd(server.url, ldifEntry(`description=y,${DYNAMIC}`, { objectClass: ['rtPerson', 'extensibleObject', 'dynamicObject'], cn: 'y' }), alice);
    expect(r.code, r.stderr).toBe(0);
    expect((await read(`description=y,${DYNAMIC}`))?.get('description')).toEqual(['y']);
  });

  it('an operational NO-USER-MODIFICATION attribute is refused (19)', async () => {
    const r = await ldapadd(server.url, conferenceLdif(spec('Own Timestamp'), { createTimestamp: '20200101000000Z' }), alice);
    expectRefused(r, LDAP.constraintViolation, /createTimestamp/i);
  });

  it('a DN that is not a DN is invalidDNSyntax (34)', async () => {
    const r = await ldapadd(server.url, ldifEntry('not a dn', { objectClass: 'rtConference', uid: 'x' }), alice);
    expect(r.code, explain(r)).toBe(LDAP.invalidDNSyntax);
  });

  it('an RDN value with a character outside the BMP (an emoji) names the entry as written', async () => {
    const c = spec('Launch 🚀 Review');
    await addConference(c);
    const e = await read(conferenceDn(c.uid), ['uid']);
    expect(e?.dn).toBe(conferenceDn(c.uid));
    expect(e?.get('uid')).toEqual([c.uid]);
    // The same entry, its DN hex-escaped (F0 9F 9A 80 is U+1F680 in UTF-8).
    expect((await read(`uid=Launch \\F0\\9F\\9A\\80 Review,${DYNAMIC}`, ['uid']))?.get('uid')).toEqual([c.uid]);
  });

  it('an escaped RDN value that is not UTF-8 (uid=\\FF) is invalidDNSyntax (34)', async () => {
    const r = await ldapadd(server.url, ldifEntry(`uid=\\FF,${DYNAMIC}`, { objectClass: 'rtConference', uid: 'x' }), alice);
    expectRefused(r, LDAP.invalidDNSyntax, /UTF-8/);
  });

  it('an unknown critical control refuses the add (12) and writes nothing', async () => {
    const c = spec('Critical Control Add');
    const r = await ldapadd(server.url, conferenceLdif(c), { ...alice, controls: ['!1.2.3.4'] });
    expect(r.code, explain(r)).toBe(LDAP.unavailableCriticalExtension);
    expect(await read(conferenceDn(c.uid))).toBeUndefined();
  });
});

describe('modify', () => {
  it('replacing the blob updates every derived attribute with it', async () => {
    const c = spec('Modify Blob');
    await addConference(c);
    const next: ConferenceSpec = { ...DESIGN_REVIEW, uid: c.uid };
    const r = await modify(conferenceDn(c.uid), [{ op: 'replace', attr: 'conferenceBlob', values: [conferenceBlob(next)] }]);
    expect(r.code, explain(r)).toBe(LDAP.success);
    const e = (await read(conferenceDn(c.uid)))!;
    expect(e.get('conferenceBlob')).toEqual([conferenceBlob(next)]);
    for (const [name, value] of Object.entries(derivedAttributes(next))) {
      expect(e.get(name), name).toEqual(value === undefined ? [] : [value]);
    }
    expect(dnKey(e.one('modifiersName'))).toBe(dnKey(bindAs(ALICE).dn));
    expect(e.one('modifyTimestamp') >= e.one('createTimestamp')).toBe(true);
  });

  it('deleting the blob removes the derived attributes', async () => {
    const c = spec('Modify Drop Blob');
    await addConference(c);
    const r = await modify(conferenceDn(c.uid), [{ op: 'delete', attr: 'conferenceBlob' }]);
    expect(r.code, explain(r)).toBe(LDAP.success);
    const e = (await read(conferenceDn(c.uid), ['*']))!;
    for (const name of ['conferenceBlob', ...DERIVED]) expect(e.has(name), name).toBe(false);
  });

  it('add, delete and replace of values with RFC 4511 semantics', async () => {
    const c = spec('Modify Values');
    await addConference(c);
    const dn = conferenceDn(c.uid);
    const ok = await modify(dn, [
      { op: 'add', attr: 'protocolID', values: ['H323'] },
      { op: 'add', attr: 'attendees', values: ['alice', 'bob', 'carol'] },
      { op: 'delete', attr: 'attendees', values: ['BOB'] }, // caseIgnoreMatch
      { op: 'replace', attr: 'contactInformation', values: ['room 1'] },
    ]);
    expect(ok.code, explain(ok)).toBe(LDAP.success);
    let e = (await read(dn, ['protocolID', 'attendees', 'contactInformation']))!;
    expect(e.get('protocolID').sort()).toEqual(['H323', 'IP Conference']);
    expect(e.get('attendees').sort()).toEqual(['alice', 'carol']);
    expect(e.get('contactInformation')).toEqual(['room 1']);
    const remove = await modify(dn, [
      { op: 'replace', attr: 'contactInformation' }, // replace with no values deletes
      { op: 'delete', attr: 'attendees' }, // delete without values removes the attribute
    ]);
    expect(remove.code, explain(remove)).toBe(LDAP.success);
    e = (await read(dn, ['*']))!;
    expect(e.has('contactInformation')).toBe(false);
    expect(e.has('attendees')).toBe(false);
    const again = await modify(dn, [{ op: 'replace', attr: 'contactInformation' }]);
    expect(again.code, `replace with nothing of an absent attribute is fine\n${explain(again)}`).toBe(LDAP.success);
  });

  it('adding a value that exists, in any case, is attributeOrValueExists (20)', async () => {
    const c = spec('Modify Exists');
    await addConference(c);
    const dn = conferenceDn(c.uid);
    expectRefused(await modify(dn, [{ op: 'add', attr: 'protocolID', values: ['IP Conference'] }]), LDAP.attributeOrValueExists);
    expectRefused(await modify(dn, [{ op: 'add', attr: 'protocolID', values: ['ip conference'] }]), LDAP.attributeOrValueExists);
  });

  it('deleting a value or an attribute that is not there is noSuchAttribute (16)', async () => {
    const c = spec('Modify Missing');
    await addConference(c);
    const dn = conferenceDn(c.uid);
    expectRefused(await modify(dn, [{ op: 'delete', attr: 'protocolID', values: ['Nonexistent'] }]), LDAP.noSuchAttribute);
    expectRefused(await modify(dn, [{ op: 'delete', attr: 'attendees' }]), LDAP.noSuchAttribute);
  });

  it('removing or replacing the RDN value is notAllowedOnRDN (67)', async () => {
    const c = spec('Modify Rdn');
    await addConference(c);
    const dn = conferenceDn(c.uid);
    expectRefused(await modify(dn, [{ op: 'delete', attr: 'uid', values: [c.uid] }]), LDAP.notAllowedOnRDN);
    expectRefused(await modify(dn, [{ op: 'replace', attr: 'uid', values: ['Other Name'] }]), LDAP.notAllowedOnRDN);
    expectRefused(await modify(dn, [{ op: 'delete', attr: 'uid' }]), LDAP.notAllowedOnRDN);
    expect((await read(dn, ['uid']))?.get('uid')).toEqual([c.uid]);
  });

  it('a second value of a SINGLE-VALUE attribute is constraintViolation (19)', async () => {
    const c = spec('Modify Single');
    await addConference(c, { ntSecurityDescriptor: SECURITY_DESCRIPTOR });
    const dn = conferenceDn(c.uid);
    expectRefused(await modify(dn, [{ op: 'add', attr: 'conferenceBlob', values: [conferenceBlob(spec('x'))] }]), LDAP.constraintViolation);
    expectRefused(await modify(dn, [{ op: 'add', attr: 'ntSecurityDescriptor', values: [ALL_BYTES] }]), LDAP.constraintViolation);
  });

  it.each(DERIVED.map((name) => [name]))('writing the derived attribute %s is constraintViolation (19) pointing at conferenceBlob', async (name) => {
    const c = spec(`Modify Derived ${name}`);
    await addConference(c);
    const before = await state(conferenceDn(c.uid));
    const value = name === 'startTime' || name === 'stopTime' ? '20300101000000Z' : name === 'advertisingScope' || name === 'isEncrypted' ? '1' : 'x';
    for (const op of ['replace', 'add'] as const) {
      expectRefused(await modify(conferenceDn(c.uid), [{ op, attr: name, values: [value] }]), LDAP.constraintViolation, /conferenceBlob/);
    }
    expect(await state(conferenceDn(c.uid))).toEqual(before);
  });

  it('an unknown attribute is undefinedAttributeType (17)', async () => {
    const c = spec('Modify Unknown');
    await addConference(c);
    expectRefused(await modify(conferenceDn(c.uid), [{ op: 'replace', attr: 'fooBarBaz', values: ['1'] }]), LDAP.undefinedAttributeType);
  });

  it('an attribute the classes do not allow is objectClassViolation (65)', async () => {
    const c = spec('Modify Not Allowed');
    await addConference(c);
    expectRefused(await modify(conferenceDn(c.uid), [{ op: 'add', attr: 'ipAddress', values: ['1'] }]), LDAP.objectClassViolation);
  });

  it('an operational attribute is refused (19): modifyTimestamp, entryUUID', async () => {
    const c = spec('Modify Operational');
    await addConference(c);
    for (const [attr, value] of [
      ['modifyTimestamp', '20200101000000Z'],
      ['entryUUID', '00000000-0000-0000-0000-000000000000'],
    ] as const) {
      expectRefused(await modify(conferenceDn(c.uid), [{ op: 'replace', attr, values: [value] }]), LDAP.constraintViolation);
    }
  });

  it('a missing entry is noSuchObject (32)', async () => {
    const r = await modify(conferenceDn('Never Added'), [{ op: 'replace', attr: 'protocolID', values: ['x'] }]);
    expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
    expect(dnKey(r.matchedDN ?? ''), explain(r)).toBe(dnKey(DYNAMIC));
  });

  it('is atomic: one bad change among several changes nothing (bad blob, missing value, unknown attribute, derived attribute)', async () => {
    const c = spec('Modify Atomic');
    await addConference(c);
    const dn = conferenceDn(c.uid);
    const before = await state(dn);
    const good: LdifChange[] = [
      { op: 'replace', attr: 'protocolID', values: ['Changed'] },
      { op: 'add', attr: 'cn', values: ['Second Name'] },
      { op: 'replace', attr: 'conferenceBlob', values: [conferenceBlob({ ...DESIGN_REVIEW, uid: c.uid })] },
    ];
    const bad: Array<[LdifChange, number]> = [
      [{ op: 'replace', attr: 'conferenceBlob', values: [INVALID_BLOB] }, LDAP.invalidAttributeSyntax],
      [{ op: 'delete', attr: 'attendees', values: ['nobody'] }, LDAP.noSuchAttribute],
      [{ op: 'add', attr: 'fooBarBaz', values: ['1'] }, LDAP.undefinedAttributeType],
      [{ op: 'replace', attr: 'startTime', values: ['20300101000000Z'] }, LDAP.constraintViolation],
    ];
    for (const [change, code] of bad) {
      const r = await modify(dn, [...good, change]);
      expect(r.code, explain(r)).toBe(code);
      expect(await state(dn), `after ${change.op} ${change.attr}`).toEqual(before);
    }
  });

  it('an invalid blob is invalidAttributeSyntax (21) with the validator messages', async () => {
    const c = spec('Modify Bad Blob');
    await addConference(c);
    expectRefused(
      await modify(conferenceDn(c.uid), [{ op: 'replace', attr: 'conferenceBlob', values: [INVALID_BLOB] }]),
      LDAP.invalidAttributeSyntax,
      /line 6: c=/,
    );
    expect((await read(conferenceDn(c.uid), ['conferenceBlob']))?.get('conferenceBlob')).toEqual([conferenceBlob(c)]);
  });

  it('replaces ntSecurityDescriptor byte for byte', async () => {
    const c = spec('Modify SD');
    await addConference(c, { ntSecurityDescriptor: SECURITY_DESCRIPTOR });
    const r = await modify(conferenceDn(c.uid), [{ op: 'replace', attr: 'ntSecurityDescriptor', values: [ALL_BYTES] }]);
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect((await read(conferenceDn(c.uid), ['ntSecurityDescriptor']))?.base64('ntSecurityDescriptor')).toEqual([ALL_BYTES.toString('base64')]);
  });
});

describe('delete', () => {
  it('removes the entry; the DN may be in another case', async () => {
    const c = spec('Delete Me');
    await addConference(c);
    const r = await ldapdelete(server.url, `UID=DELETE ME,OU=DYNAMIC,O=INTRANET`, alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(await read(conferenceDn(c.uid))).toBeUndefined();
  });

  it('a missing entry is noSuchObject (32) with matchedDN', async () => {
    const r = await ldapdelete(server.url, conferenceDn('Not There'), alice);
    expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
    expect(dnKey(r.matchedDN ?? ''), explain(r)).toBe(dnKey(DYNAMIC));
  });

  it('ou=dynamic while it has children is notAllowedOnNonLeaf (66), even for an admin', async () => {
    await addConference(spec('Keeps Dynamic Busy'));
    const r = await ldapdelete(server.url, DYNAMIC, admin);
    expectRefused(r, LDAP.notAllowedOnNonLeaf);
    expect(await read(DYNAMIC)).toBeDefined();
    const root = await ldapdelete(server.url, SUFFIX, admin);
    expect(root.code, explain(root)).toBe(LDAP.notAllowedOnNonLeaf);
  });

  it('an unknown critical control refuses the delete (12) and deletes nothing', async () => {
    const c = spec('Critical Control Delete');
    await addConference(c);
    const r = await ldapdelete(server.url, conferenceDn(c.uid), { ...alice, controls: ['!1.2.3.4'] });
    expect(r.code, explain(r)).toBe(LDAP.unavailableCriticalExtension);
    expect(await read(conferenceDn(c.uid))).toBeDefined();
  });
});

describe('compare', () => {
  const c = spec('Compare Me', DESIGN_REVIEW);
  beforeAll(async () => {
    await addConference(c, { ntSecurityDescriptor: SECURITY_DESCRIPTOR });
  });
  const dn = (): string => conferenceDn(c.uid);

  it('compareTrue (6) and compareFalse (5), with the equality rule of the attribute', async () => {
    const yes = await ldapcompare(server.url, dn(), 'protocolID:IP Conference');
    expect(yes.code, explain(yes)).toBe(LDAP.compareTrue);
    expect(yes.stdout.trim()).toBe('TRUE');
    const caseless = await ldapcompare(server.url, dn(), 'protocolID:ip conference');
    expect(caseless.code, explain(caseless)).toBe(LDAP.compareTrue);
    const no = await ldapcompare(server.url, dn(), 'protocolID:Other');
    expect(no.code, explain(no)).toBe(LDAP.compareFalse);
    expect(no.stdout.trim()).toBe('FALSE');
    const uid = await ldapcompare(server.url, dn(), 'uid:compare me');
    expect(uid.code, explain(uid)).toBe(LDAP.compareTrue);
  });

  it('works on derived attributes, generalizedTime and integers by value', async () => {
    for (const assertion of ['isEncrypted:1', 'originator:BOB', 'advertisingScope:4', `startTime:${generalizedTime(DESIGN_REVIEW.start)}`, `startTime:${generalizedTimePlus0100(DESIGN_REVIEW.start)}`]) {
      const r = await ldapcompare(server.url, dn(), assertion);
      expect(r.code, explain(r)).toBe(LDAP.compareTrue);
    }
  });

  it('compares binary values (ntSecurityDescriptor::base64)', async () => {
    const yes = await ldapcompare(server.url, dn(), `ntSecurityDescriptor::${SECURITY_DESCRIPTOR.toString('base64')}`);
    expect(yes.code, explain(yes)).toBe(LDAP.compareTrue);
    const no = await ldapcompare(server.url, dn(), `ntSecurityDescriptor::${ALL_BYTES.toString('base64')}`);
    expect(no.code, explain(no)).toBe(LDAP.compareFalse);
  });

  it('anonymous clients may compare', async () => {
    const r = await ldapcompare(server.url, dn(), 'uid:Compare Me');
    expect(r.code, explain(r)).toBe(LDAP.compareTrue);
  });

  it('a missing entry is noSuchObject (32)', async () => {
    const r = await ldapcompare(server.url, conferenceDn('Nope'), 'uid:Nope');
    expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
  });

  it('an unknown attribute is undefinedAttributeType (17)', async () => {
    const r = await ldapcompare(server.url, dn(), 'fooBarBaz:1');
    expect(r.code, explain(r)).toBe(LDAP.undefinedAttributeType);
  });

  it('an unknown critical control is unavailableCriticalExtension (12)', async () => {
    const r = await ldapcompare(server.url, dn(), 'uid:Compare Me', { controls: ['!1.2.3.4'] });
    expect(r.code, explain(r)).toBe(LDAP.unavailableCriticalExtension);
  });
});

describe('modifyDN', () => {
  it('is unwillingToPerform (53): ILS has no rename; the message says to delete and re-add', async () => {
    const c = spec('Rename Me');
    await addConference(c);
    const r = await ldapmodrdn(server.url, conferenceDn(c.uid), 'uid=Renamed', { ...alice, deleteOldRdn: true });
    expectRefused(r, LDAP.unwillingToPerform, /delete/i);
    expect(r.info).toMatch(/add/i);
    expect(await read(conferenceDn(c.uid))).toBeDefined();
    expect(await read(conferenceDn('Renamed'))).toBeUndefined();
  });

  it('with a new superior, too', async () => {
    const c = spec('Move Me');
    await addConference(c);
    const r = await ldapmodrdn(server.url, conferenceDn(c.uid), 'uid=Move Me', { ...admin, newSuperior: APPLICATIONS });
    expect(r.code, explain(r)).toBe(LDAP.unwillingToPerform);
    expect(await read(conferenceDn(c.uid))).toBeDefined();
  });
});
