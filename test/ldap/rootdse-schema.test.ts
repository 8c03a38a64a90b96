/**
 * The root DSE and cn=Subschema as LDAP browsers read them (Apache Directory Studio,
 * JXplorer, ldapsearch), and the operational attributes of entries (RFC 4512, RFC 3673).
 * python3-ldap3's reading of both is in clients.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnKey, explain, ldapadd, ldapsearch, LDAP, type LdifEntry } from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ALICE, DYNAMIC, SUFFIX, WEEKLY_SYNC, bindAs, conferenceDn, conferenceLdif } from './fixtures/directory.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
  const r = await ldapadd(server.url, conferenceLdif(WEEKLY_SYNC), { auth: bindAs(ALICE) });
  expect(r.code, explain(r)).toBe(LDAP.success);
});
afterAll(() => server.stop());

async function rootDse(attrs: string[]): Promise<LdifEntry> {
  const r = await ldapsearch(server.url, { base: '', scope: 'base', attrs });
  expect(r.code, explain(r)).toBe(LDAP.success);
  expect(r.entries, explain(r)).toHaveLength(1);
  expect(r.entries[0]!.dn).toBe('');
  return r.entries[0]!;
}

const ROOT_DSE_OPERATIONAL = [
  'namingContexts',
  'subschemaSubentry',
  'supportedLDAPVersion',
  'supportedControl',
  'supportedExtension',
  'supportedFeatures',
  'vendorName',
  'vendorVersion',
];

describe('root DSE', () => {
  it('ldapsearch -b "" -s base + "*": naming context, subschema, LDAPv3, paged results, whoami, all-operational feature, vendor', async () => {
    const dse = await rootDse(['+', '*']);
    expect(dse.get('namingContexts').map(dnKey)).toEqual([dnKey(SUFFIX)]);
    expect(dse.get('subschemaSubentry').map(dnKey)).toEqual(['cn=subschema']);
    expect(dse.get('supportedLDAPVersion')).toContain('3');
    expect(dse.get('supportedControl')).toContain('1.2.840.113556.1.4.319');
    expect(dse.get('supportedExtension')).toContain('1.3.6.1.4.1.4203.1.11.3');
    expect(dse.get('supportedFeatures')).toContain('1.3.6.1.4.1.4203.1.5.1');
    expect(dse.one('vendorName')).not.toBe('');
    expect(dse.one('vendorVersion')).not.toBe('');
  });

  it('returns mixed-case attributes requested by name without "+" (ldapjs drops them)', async () => {
    const dse = await rootDse(['namingContexts', 'subschemaSubentry', 'supportedLDAPVersion']);
    expect(dse.lowerNames()).toEqual(['namingcontexts', 'subschemasubentry', 'supportedldapversion']);
  });

  it('matches requested names case-insensitively (NAMINGCONTEXTS, SubSchemaSubEntry)', async () => {
    const dse = await rootDse(['NAMINGCONTEXTS', 'SubSchemaSubEntry']);
    expect(dse.get('namingContexts').map(dnKey)).toEqual([dnKey(SUFFIX)]);
    expect(dse.get('subschemaSubentry').map(dnKey)).toEqual(['cn=subschema']);
  });

  it("answers Apache Directory Studio's exact request list", async () => {
    const dse = await rootDse([
      'namingContexts',
      'subschemaSubentry',
      'supportedLDAPVersion',
      'supportedSASLMechanisms',
      'supportedExtension',
      'supportedControl',
      'supportedFeatures',
      'vendorName',
      'vendorVersion',
      '+',
    ]);
    for (const name of ROOT_DSE_OPERATIONAL) expect(dse.has(name), name).toBe(true);
  });

  it('keeps its operational attributes out of "*" and of an empty attribute list (RFC 4512 5.1)', async () => {
    for (const attrs of [['*'], []]) {
      const dse = await rootDse(attrs);
      for (const name of ROOT_DSE_OPERATIONAL) expect(dse.has(name), `${name} for ${JSON.stringify(attrs)}`).toBe(false);
    }
  });

  it('returns nothing but the DN for "1.1"', async () => {
    const dse = await rootDse(['1.1']);
    expect(dse.names()).toEqual([]);
  });
});

describe('cn=Subschema', () => {
  async function subschema(attrs: string[], base = 'cn=Subschema'): Promise<LdifEntry> {
    const r = await ldapsearch(server.url, { base, scope: 'base', filter: '(objectClass=subschema)', attrs });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries, explain(r)).toHaveLength(1);
    return r.entries[0]!;
  }

  const named = (descriptions: string[], name: string): string | undefined =>
    descriptions.find((d) => new RegExp(`NAME \\(?\\s*'${name}'`, 'i').test(d) || new RegExp(`NAME \\([^)]*'${name}'`, 'i').test(d));

  it('ldapsearch -b cn=Subschema -s base "(objectClass=subschema)" +: the ILS classes and attributes, RFC 2589 and the syntaxes and rules', async () => {
    const s = await subschema(['+']);
    const classes = s.get('objectClasses');
    const types = s.get('attributeTypes');
    expect(named(classes, 'rtConference')).toContain('1.2.840.113556.1.4.611.1103010708051501150108150101130009121504000012000415120210000708');
    expect(named(classes, 'rtPerson')).toBeDefined();
    expect(named(classes, 'rtApplicationUser')).toBeDefined();
    expect(named(classes, 'dynamicObject')).toContain('1.3.6.1.4.1.1466.101.119.2');
    expect(named(types, 'conferenceBlob')).toMatch(/SINGLE-VALUE/);
    expect(named(types, 'entryTtl')).toContain('1.3.6.1.4.1.1466.101.119.3');
    expect(named(types, 'startTime')).toMatch(/ORDERING generalizedTimeOrderingMatch/);
    expect(named(types, 'ntSecurityDescriptor')).toMatch(/SYNTAX 1\.3\.6\.1\.4\.1\.1466\.115\.121\.1\.5 /);
    expect(named(types, 'hasSubordinates')).toBeDefined(); // Directory Studio's tree arrows
    expect(named(types, 'sProtID')).toBeDefined(); // ILS wire names are known names
    expect(s.get('ldapSyntaxes').some((d) => d.includes('1.3.6.1.4.1.1466.115.121.1.15'))).toBe(true);
    expect(s.get('matchingRules').some((d) => /2\.5\.13\.2 NAME 'caseIgnoreMatch'/.test(d))).toBe(true);
  });

  it('defines every attribute the ILS classes allow', async () => {
    const s = await subschema(['attributeTypes', 'objectClasses']);
    const types = s.get('attributeTypes');
    const classes = s.get('objectClasses');
    for (const cls of ['rtConference', 'rtPerson', 'rtApplicationUser']) {
      const description = named(classes, cls)!;
      const lists = [...description.matchAll(/(?:MUST|MAY) (\([^)]*\)|\S+)/g)].map((m) => m[1]!);
      const names = lists.flatMap((l) => l.replace(/[()]/g, '').split('$')).map((n) => n.trim()).filter(Boolean);
      expect(names.length, description).toBeGreaterThan(3);
      for (const name of names) expect(named(types, name), `${cls}: ${name}`).toBeDefined();
    }
  });

  it('returns objectClasses, attributeTypes, ldapSyntaxes and matchingRules by name, and not for "*"', async () => {
    const s = await subschema(['objectClasses', 'attributeTypes', 'ldapSyntaxes', 'matchingRules']);
    expect(s.lowerNames()).toEqual(['attributetypes', 'ldapsyntaxes', 'matchingrules', 'objectclasses']);
    const star = await subschema(['*']);
    expect(star.has('attributeTypes')).toBe(false);
    expect(star.get('objectClass').map((v) => v.toLowerCase())).toContain('subschema');
  });

  it('is found with any case of its name (CN=SUBSCHEMA)', async () => {
    const s = await subschema(['attributeTypes'], 'CN=SUBSCHEMA');
    expect(s.get('attributeTypes').length).toBeGreaterThan(50);
  });

  it('has createTimestamp and modifyTimestamp that stay the same between reads (Directory Studio caches the schema by them)', async () => {
    const first = await subschema(['createTimestamp', 'modifyTimestamp']);
    const second = await subschema(['createTimestamp', 'modifyTimestamp']);
    expect(first.one('createTimestamp')).toMatch(/^\d{14}(\.\d+)?Z$/);
    expect(first.one('modifyTimestamp')).toMatch(/^\d{14}(\.\d+)?Z$/);
    expect(second.get('createTimestamp')).toEqual(first.get('createTimestamp'));
    expect(second.get('modifyTimestamp')).toEqual(first.get('modifyTimestamp'));
  });
});

describe('operational attributes of entries', () => {
  const OPERATIONAL = [
    'createTimestamp',
    'modifyTimestamp',
    'creatorsName',
    'modifiersName',
    'entryUUID',
    'entryDN',
    'hasSubordinates',
    'structuralObjectClass',
  ];
  const dn = conferenceDn(WEEKLY_SYNC.uid);

  async function read(base: string, attrs: string[]): Promise<LdifEntry> {
    const r = await ldapsearch(server.url, { base, scope: 'base', attrs });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries, explain(r)).toHaveLength(1);
    return r.entries[0]!;
  }

  it('"+" returns all of them, with the right values, and no user attribute', async () => {
    const e = await read(dn, ['+']);
    for (const name of OPERATIONAL) expect(e.has(name), name).toBe(true);
    expect(e.has('uid')).toBe(false);
    expect(e.has('conferenceBlob')).toBe(false);
    expect(e.one('createTimestamp')).toMatch(/^\d{14}(\.\d+)?Z$/);
    expect(e.one('modifyTimestamp')).toMatch(/^\d{14}(\.\d+)?Z$/);
    expect(dnKey(e.one('creatorsName'))).toBe(dnKey(bindAs(ALICE).dn));
    expect(dnKey(e.one('modifiersName'))).toBe(dnKey(bindAs(ALICE).dn));
    expect(e.one('entryUUID')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    expect(dnKey(e.one('entryDN'))).toBe(dnKey(dn));
    expect(e.one('hasSubordinates')).toBe('FALSE');
    expect(e.one('structuralObjectClass').toLowerCase()).toBe('rtconference');
  });

  it('"*" and an empty list return none of them', async () => {
    for (const attrs of [['*'], []]) {
      const e = await read(dn, attrs);
      expect(e.has('uid'), JSON.stringify(attrs)).toBe(true);
      for (const name of OPERATIONAL) expect(e.has(name), `${name} for ${JSON.stringify(attrs)}`).toBe(false);
    }
  });

  it('by name, in any case, returns just those', async () => {
    const e = await read(dn, ['ENTRYUUID', 'createtimestamp', 'HasSubordinates']);
    expect(e.lowerNames()).toEqual(['createtimestamp', 'entryuuid', 'hassubordinates']);
  });

  it('"*" and "+" together return both', async () => {
    const e = await read(dn, ['*', '+']);
    expect(e.has('uid')).toBe(true);
    expect(e.has('entryUUID')).toBe(true);
  });

  it('hasSubordinates is TRUE on containers with children and structuralObjectClass names their class', async () => {
    const dynamic = await read(DYNAMIC, ['hasSubordinates', 'structuralObjectClass']);
    expect(dynamic.one('hasSubordinates')).toBe('TRUE');
    expect(dynamic.one('structuralObjectClass').toLowerCase()).toBe('organizationalunit');
    const root = await read(SUFFIX, ['hasSubordinates', 'structuralObjectClass']);
    expect(root.one('hasSubordinates')).toBe('TRUE');
    expect(root.one('structuralObjectClass').toLowerCase()).toBe('organization');
  });

  it('every entry has its own entryUUID', async () => {
    const r = await ldapsearch(server.url, { base: SUFFIX, attrs: ['entryUUID'] });
    const uuids = r.entries.map((e) => e.one('entryUUID'));
    expect(uuids.length).toBeGreaterThanOrEqual(4);
    expect(new Set(uuids).size).toBe(uuids.length);
  });
});
