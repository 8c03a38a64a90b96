/**
 * schema/rendezvous.schema in a real OpenLDAP slapd: it must load unchanged, slapd must read
 * every definition exactly as our parser does, and the entries ILS clients create must be
 * stored and found with the filters they use. slapd missing is a FAILURE (CI installs it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseAttributeTypeDescription,
  parseObjectClassDescription,
  RENDEZVOUS_SCHEMA_FILE,
  type AttributeTypeDefinition,
  type EntryAttributes,
  type ObjectClassDefinition,
} from '../../src/directory/schema/index.js';
import {
  assertSlapdInstalled,
  ldapadd,
  ldapsearch,
  parseLdif,
  RENDEZVOUS_SCHEMA,
  slapdConfig,
  slaptest,
  startSlapd,
  systemSchemaPath,
  type LdifEntry,
  type Slapd,
} from '../helpers/slapd.js';
import { strictSyntaxProblem, Syntax, syntaxProblem } from '../../src/directory/model/matching.js';
import { schema } from './helpers.js';

const SDP = [
  'v=0',
  'o=administrator 3456462469 1 IN IP4 w2kils.testdomain.int',
  's=Demo Conference',
  'i=A description goes here',
  'c=IN IP4 224.0.0.0/15',
  't=3456462448 3456464248',
  'm=audio 22716 RTP/AVP 0',
  'c=IN IP4 224.2.152.239/15/1',
  'm=video 51232 RTP/AVP 34',
  'c=IN IP4 224.2.188',
  '',
].join('\r\n');
const SECURITY_DESCRIPTOR = Buffer.from('01000480140000002000000000000000', 'hex');
const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');

/** Values of an attribute in LDIF output, whatever case slapd printed its name in. */
function values(entry: LdifEntry | undefined, name: string): (string | Buffer)[] {
  for (const [key, list] of entry?.attributes ?? []) if (key.toLowerCase() === name.toLowerCase()) return list;
  return [];
}

/** Writes a slapd.conf including `schemas` in order and runs slaptest on it. */
async function slaptestWith(schemas: readonly string[]): Promise<{ code: number; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rendezvous-slaptest-'));
  try {
    const configFile = join(dir, 'slapd.conf');
    await writeFile(
      configFile,
      slapdConfig({
        schemaFiles: schemas,
        modules: ['back_mdb'],
        suffix: 'o=Intranet',
        rootDn: 'cn=admin,o=Intranet',
        rootPw: 'secret',
        dbDir: dir,
        pidFile: join(dir, 'slapd.pid'),
        argsFile: join(dir, 'slapd.args'),
        maxSize: 10 * 1024 * 1024,
        overlays: [],
        indexes: [],
        access: [],
        globalConfig: [],
        databaseConfig: [],
      }),
    );
    const result = await slaptest(configFile);
    return { code: result.code, output: result.stderr + result.stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('OpenLDAP slapd', () => {
  it('is installed with slaptest and ldap-utils (CI installs them; their absence is a failure)', () => {
    assertSlapdInstalled();
  });

  it('the test helper uses the same rendezvous.schema as the server', () => {
    expect(RENDEZVOUS_SCHEMA).toBe(RENDEZVOUS_SCHEMA_FILE);
  });
});

describe('test/helpers/slapd.ts', () => {
  it('surfaces slaptest\'s message when the configuration is bad, and cleans up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rendezvous-bad-schema-'));
    try {
      const bad = join(dir, 'bad.schema');
      await writeFile(bad, "attributetype ( 1.3.6.1.4.1.99999.1 NAME 'broken' SUP noSuchType )\n");
      const error = await startSlapd({ extraSchemaFiles: [bad] }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/slaptest rejected the configuration/);
      expect(error?.message).toMatch(/bad\.schema: line 1 attributetype/);
      const configFile = /--- (\S+slapd\.conf) ---/.exec(error?.message ?? '')?.[1];
      expect(configFile).toBeDefined();
      expect(existsSync(dirname(configFile as string))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops slapd and removes its directory, and stop() may be called twice', async () => {
    const server = await startSlapd({ systemSchemas: ['core'], suffix: 'dc=example,dc=com', rootPw: 'secret' });
    expect(server).toMatchObject({ suffix: 'dc=example,dc=com', rootDn: 'cn=admin,dc=example,dc=com', rootPw: 'secret', host: '127.0.0.1' });
    expect(server.url).toBe(`ldap://127.0.0.1:${server.port}`);
    const bound = await ldapsearch(server, { base: '', scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'], bindDn: server.rootDn, password: server.rootPw });
    expect(bound.stdout).toContain('namingContexts: dc=example,dc=com');
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
    expect(() => process.kill(server.pid, 0)).toThrow();
  });
});

describe('slaptest', () => {
  it('loads rendezvous.schema unchanged after core.schema alone (its only dependency)', async () => {
    const result = await slaptestWith([systemSchemaPath('core'), RENDEZVOUS_SCHEMA]);
    expect(result.output).toContain('config file testing succeeded');
    expect(result.code).toBe(0);
  });

  it('loads it after core, cosine and inetorgperson, as the tests run slapd', async () => {
    const result = await slaptestWith([...['core', 'cosine', 'inetorgperson'].map(systemSchemaPath), RENDEZVOUS_SCHEMA]);
    expect(result.code, result.output).toBe(0);
  });

  it('refuses it without core.schema, which defines the standard attributes it references', async () => {
    const result = await slaptestWith([RENDEZVOUS_SCHEMA]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/rendezvous\.schema: line \d+ objectclass: AttributeType not found/);
  });
});

describe('rendezvous.schema in a running slapd', () => {
  let server: Slapd;

  beforeAll(async () => {
    server = await startSlapd({
      overlays: [{ name: 'dds', config: ['dds-default-ttl 3600', 'dds-max-ttl 86400'] }],
      indexes: ['objectClass eq', 'uid eq,sub', 'cn eq,sub'],
    });
    const base = await ldapadd(
      server,
      [
        'dn: o=Intranet',
        'objectClass: organization',
        'o: Intranet',
        '',
        'dn: ou=dynamic,o=Intranet',
        'objectClass: organizationalUnit',
        'ou: dynamic',
        '',
        'dn: ou=applications,o=Intranet',
        'objectClass: organizationalUnit',
        'ou: applications',
        '',
        'dn: appName=MS-NetMeeting,ou=applications,o=Intranet',
        'objectClass: rendezvousApplication',
        'appName: MS-NetMeeting',
        '',
      ].join('\n'),
    );
    expect(base.code, base.stderr).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function subschema(attribute: string): Promise<string[]> {
    const result = await ldapsearch(server, { base: 'cn=Subschema', scope: 'base', filter: '(objectClass=subschema)', attributes: [attribute] });
    expect(result.code, result.stderr).toBe(0);
    return values(parseLdif(result.stdout)[0], attribute).map(String);
  }

  it('publishes every definition of rendezvous.schema exactly as our parser reads it', async () => {
    const ours = rendezvousDefinitions();
    expect(ours.attributeTypes).toHaveLength(42);
    expect(ours.objectClasses).toHaveLength(4);
    const attributeTypes = new Map((await subschema('attributeTypes')).map((v) => parseAttributeTypeDescription(v)).map((d) => [d.oid, d]));
    const objectClasses = new Map((await subschema('objectClasses')).map((v) => parseObjectClassDescription(v)).map((d) => [d.oid, d]));
    for (const def of ours.attributeTypes) expect(attributeTypes.get(def.oid), def.names[0]).toEqual(def);
    for (const def of ours.objectClasses) expect(objectClasses.get(def.oid), def.names[0]).toEqual(def);
  });

  it('has built in every standard element we define, with the same meaning', async () => {
    // slapd adds {len} bounds and some extra aliases; namingContexts gets an EQUALITY rule
    // RFC 4512 does not give it. Everything else must agree.
    const published = (await subschema('attributeTypes')).map((v) => parseAttributeTypeDescription(v));
    const shape = (d: AttributeTypeDefinition): unknown => ({
      sup: d.sup === undefined ? undefined : schema.attribute(d.sup)?.oid,
      equality: d.oid === '1.3.6.1.4.1.1466.101.120.5' ? undefined : d.equality === undefined ? undefined : schema.matchingRule(d.equality)?.oid,
      ordering: d.ordering === undefined ? undefined : schema.matchingRule(d.ordering)?.oid,
      substr: d.substr === undefined ? undefined : schema.matchingRule(d.substr)?.oid,
      syntax: d.syntax,
      singleValue: d.singleValue,
      collective: d.collective,
      noUserModification: d.noUserModification,
      usage: d.usage,
    });
    let compared = 0;
    for (const theirs of published) {
      const ours = schema.attribute(theirs.oid);
      if (!ours || ours.source?.file !== 'standard.schema') continue;
      compared += 1;
      expect(shape(ours.definition), ours.name).toEqual(shape(theirs));
      expect(theirs.names.map((n) => n.toLowerCase()), ours.name).toEqual(expect.arrayContaining(ours.names.map((n) => n.toLowerCase())));
    }
    expect(compared).toBeGreaterThan(50);
    for (const value of await subschema('objectClasses')) {
      const theirs = parseObjectClassDescription(value);
      const ours = schema.objectClass(theirs.oid);
      if (!ours || ours.source?.file !== 'standard.schema') continue;
      const oids = (names: readonly string[]): string[] => names.map((n) => schema.attribute(n)?.oid ?? n).sort();
      expect({ kind: ours.kind, must: oids(ours.definition.must), may: oids(ours.definition.may) }, ours.name).toEqual({
        kind: theirs.kind,
        must: oids(theirs.must),
        may: oids(theirs.may),
      });
    }
  });

  it("stores Dialer's conference as a dynamic object (uid from the RDN) and finds it as Dialer does", async () => {
    const added = await ldapadd(
      server,
      [
        'dn: uid=Demo Conference,ou=dynamic,o=Intranet',
        'objectClass: RTConference',
        'objectClass: DynamicObject',
        'protocolId: IP Conference',
        `conferenceBlob:: ${b64(SDP)}`,
        `ntSecurityDescriptor:: ${b64(SECURITY_DESCRIPTOR)}`,
        '',
      ].join('\n'),
    );
    expect(added.code, added.stderr).toBe(0);
    const found = await ldapsearch(server, {
      base: 'ou=dynamic,o=Intranet',
      scope: 'one',
      filter: '(uid=Demo*)',
      attributes: ['uid', 'protocolId', 'conferenceBlob', 'ntSecurityDescriptor', 'entryTtl'],
    });
    expect(found.code, found.stderr).toBe(0);
    const entries = parseLdif(found.stdout);
    expect(entries.map((e) => e.dn)).toEqual(['uid=Demo Conference,ou=dynamic,o=Intranet']);
    const [entry] = entries;
    expect(values(entry, 'uid')).toEqual(['Demo Conference']);
    expect(values(entry, 'protocolID')).toEqual(['IP Conference']);
    expect(values(entry, 'conferenceBlob').map((v) => Buffer.from(v).toString('utf8'))).toEqual([SDP]);
    expect(values(entry, 'ntSecurityDescriptor')).toEqual([SECURITY_DESCRIPTOR]);
    expect(Number(values(entry, 'entryTtl')[0])).toBeGreaterThan(0);
    // NetMeeting-style and generic listings, and a substring search inside the blob.
    for (const filter of ['(objectClass=rtConference)', '(conferenceBlob=*m=video*)', '(&(objectClass=rtConference)(protocolID=ip conference))']) {
      const listed = await ldapsearch(server, { base: 'ou=Dynamic,o=intranet', filter, attributes: ['1.1'] });
      expect(parseLdif(listed.stdout).map((e) => e.dn), filter).toEqual(['uid=Demo Conference,ou=dynamic,o=Intranet']);
    }
  });

  it("stores TAPI's person (wire names, surname a single space) and the ILS filters find it", async () => {
    const added = await ldapadd(
      server,
      [
        'dn: cn=egruber]w2kils.testdomain.int,ou=dynamic,o=Intranet',
        'objectClass: rtPerson',
        'objectClass: DynamicObject',
        'ipAddress: 3808471232',
        'rfc822mailbox: egruber',
        'givenName: eric',
        `surname:: ${b64(' ')}`,
        'location: N/A',
        'sflags: 1',
        'c: US',
        'comment: Generated by TAPI3',
        'ssecurity: 1508109',
        'smodop: 0',
        'mimetype: text/iuls',
        'GUID: 008aff194794cf118796444553540000',
        'ProtocolMimeType: H323',
        'port: 1720',
        'ILSA39321630: 4',
        'ILSA26214430: 0',
        'ILSA32964638: 1',
        'ILSA32833566: 1',
        '',
      ].join('\n'),
    );
    expect(added.code, added.stderr).toBe(0);
    for (const filter of ['(cn=egruber*)', '(&(objectClass=rtPerson)(cn=EGRUBER]W2KILS.TESTDOMAIN.INT))', '(sipaddress>=3808471232)', '(&(sprotmimetype=h323)(sport=1720)(ssecurity=1508109))']) {
      const found = await ldapsearch(server, { base: 'ou=dynamic,o=Intranet', scope: 'one', filter, attributes: ['cn', 'ipAddress', 'ntSecurityDescriptor'] });
      expect(found.code, found.stderr).toBe(0);
      const entries = parseLdif(found.stdout);
      expect(entries.map((e) => e.dn), filter).toEqual(['cn=egruber]w2kils.testdomain.int,ou=dynamic,o=Intranet']);
      expect(values(entries[0], 'ipAddress'), filter).toEqual(['3808471232']);
    }
  });

  it('stores an application registration under its rendezvousApplication container', async () => {
    const added = await ldapadd(
      server,
      [
        'dn: cn=egruber]w2kils.testdomain.int,appName=MS-NetMeeting,ou=applications,o=Intranet',
        'objectClass: rtApplicationUser',
        'objectClass: DynamicObject',
        'UserObject: cn=egruber]w2kils.testdomain.int',
        'applicationId: ms-netmeeting',
        'mimetype: text/iuls',
        'GUID: 008aff194794cf118796444553540000',
        'protocolID: H323',
        'protocolMimeType: text/h323',
        'port: 1720',
        'ILSA39321630: 4',
        'ILSA26214430: 0',
        'ILSA32964638: 1',
        'ILSA32833566: 1',
        '',
      ].join('\n'),
    );
    expect(added.code, added.stderr).toBe(0);
    const found = await ldapsearch(server, { base: 'ou=applications,o=Intranet', filter: '(&(objectClass=rtApplicationUser)(sappid=MS-NetMeeting)(sprotid=h323))', attributes: ['sappid'] });
    const entries = parseLdif(found.stdout);
    expect(entries.map((e) => e.dn)).toEqual(['cn=egruber]w2kils.testdomain.int,appName=MS-NetMeeting,ou=applications,o=Intranet']);
    expect(values(entries[0], 'applicationID')).toEqual(['ms-netmeeting']);
  });

  it('refuses what checkEntry refuses, with the same result codes', async () => {
    const cases: { dn: string; objectClasses: string[]; attributes: Record<string, string[]> }[] = [
      { dn: 'cn=p1,ou=dynamic,o=Intranet', objectClasses: ['rtPerson'], attributes: { cn: ['p1'], conferenceBlob: ['v=0'] } },
      { dn: 'uid=c1,ou=dynamic,o=Intranet', objectClasses: ['rtConference'], attributes: { uid: ['c1'], conferenceBlob: ['v=0', 'v=1'] } },
      { dn: 'cn=p2,ou=dynamic,o=Intranet', objectClasses: ['dynamicObject'], attributes: { cn: ['p2'] } },
      { dn: 'cn=p3,ou=dynamic,o=Intranet', objectClasses: ['rtPerson', 'rtConference'], attributes: { cn: ['p3'], uid: ['p3'] } },
      { dn: 'cn=p4,ou=dynamic,o=Intranet', objectClasses: ['rtPerson'], attributes: { cn: ['p4'], sFoo: ['1'] } },
      { dn: 'cn=p5,ou=dynamic,o=Intranet', objectClasses: ['rtPerson'], attributes: { cn: ['p5'], isEncrypted: ['1'] } },
      { dn: 'cn=p6,ou=dynamic,o=Intranet', objectClasses: ['rtMeeting'], attributes: { cn: ['p6'] } },
    ];
    for (const { dn, objectClasses, attributes } of cases) {
      const problems = schema.checkEntry(objectClasses, attributes as EntryAttributes);
      expect(problems.length, dn).toBeGreaterThan(0);
      const ldif = [`dn: ${dn}`, ...objectClasses.map((c) => `objectClass: ${c}`), ...Object.entries(attributes).flatMap(([name, list]) => list.map((v) => `${name}: ${v}`)), ''].join('\n');
      const result = await ldapadd(server, ldif);
      expect(result.code, `${dn}: ${result.stderr}`).toBe(problems[0]?.resultCode);
    }
  });

  it("refuses NetMeeting's c=- (Country String), which Rendezvous takes from ILS clients and leaves out of what it replicates", async () => {
    const result = await ldapadd(server, ['dn: cn=egruber@contoso.com,ou=dynamic,o=Intranet', 'objectClass: rtPerson', 'objectClass: dynamicObject', 'c: -', ''].join('\n'));
    expect(result.code).toBe(21);
    expect(result.stderr).toMatch(/c: value #0 invalid per syntax/);
    // Schema-wise the entry is fine: the problem is only the value's syntax.
    expect(schema.checkEntry(['rtPerson', 'dynamicObject'], { cn: ['egruber@contoso.com'], c: ['-'] })).toEqual([]);
  });

  it('refuses exactly the values of a relaxed syntax that strictSyntaxProblem refuses (what a replica can store)', async () => {
    const verdicts: Array<{ value: string; slapd: boolean; strict: boolean }> = [];
    for (const [i, value] of ['-', 'DE', 'fr', '--', 'D', 'DEU', 'D#', 'Ü'].entries()) {
      const result = await ldapadd(server, [`dn: cn=country-${i},ou=dynamic,o=Intranet`, 'objectClass: rtPerson', 'objectClass: dynamicObject', `cn: country-${i}`, `c:: ${b64(value)}`, ''].join('\n'));
      expect([0, 21], result.stderr).toContain(result.code);
      verdicts.push({ value, slapd: result.code === 0, strict: strictSyntaxProblem(Syntax.countryString, value) === undefined });
    }
    expect(verdicts.filter((v) => v.slapd !== v.strict)).toEqual([]);
    expect(verdicts.filter((v) => !v.slapd).map((v) => v.value)).toEqual(['-', 'D', 'DEU', 'D#', 'Ü']);
  });

  it('refuses exactly the values syntaxProblem refuses, for the syntaxes of the standard classes it checks (a value slapd refuses would stop a replica)', async () => {
    // By syntax: an attribute of it (extensibleObject allows any), its values, those refused.
    const cases: Array<{ syntax: string; attribute: string; values: string[]; refused: string[] }> = [
      { syntax: Syntax.dn, attribute: 'seeAlso', values: ['cn=x,o=Intranet', 'cn=a+sn=b,o=Intranet', 'cn=x\\2C y,o=Intranet', 'not a dn', 'cn=x,,o=Intranet', '=x,o=Intranet', 'cn=x,o'], refused: ['not a dn', 'cn=x,,o=Intranet', '=x,o=Intranet', 'cn=x,o'] },
      { syntax: Syntax.telephoneNumber, attribute: 'telephoneNumber', values: ['+1 (425) 555-0100', '555 0100 x12', '555-0100 #12', '*31#'], refused: ['555-0100 #12', '*31#'] },
      { syntax: Syntax.integer, attribute: 'sFlags', values: ['0', '-1', '17', '-0', '01', '+1'], refused: ['-0', '01', '+1'] },
      { syntax: Syntax.nameAndOptionalUid, attribute: 'uniqueMember', values: ['cn=x,o=Intranet', "cn=x,o=Intranet#'0101'B", "#'01'B", 'cn=x,o=Intranet#', 'cn=a\\#b,o=Intranet', 'not a dn', "not a dn#'01'B", "cn=x,,o=Intranet#'01'B"], refused: ['not a dn', "not a dn#'01'B", "cn=x,,o=Intranet#'01'B"] },
      { syntax: Syntax.deliveryMethod, attribute: 'preferredDeliveryMethod', values: ['any', 'telephone $ g3fax', 'any  $  mhs', 'Any', 'teletex$videotex$ia5$g4fax$physical', 'pigeon', 'any $', ' any', 'any telephone', 'any\t$mhs', 'anyx'], refused: ['pigeon', 'any $', ' any', 'any telephone', 'any\t$mhs', 'anyx'] },
      { syntax: Syntax.guide, attribute: 'searchGuide', values: ['person#(cn$EQ)', 'x'], refused: ['person#(cn$EQ)', 'x'] },
      { syntax: Syntax.enhancedGuide, attribute: 'enhancedSearchGuide', values: ['person#(cn$EQ)#oneLevel', 'x'], refused: ['person#(cn$EQ)#oneLevel', 'x'] },
      { syntax: Syntax.teletexTerminalIdentifier, attribute: 'teletexTerminalIdentifier', values: ['abc', 'abc$graphic:x'], refused: ['abc', 'abc$graphic:x'] },
      { syntax: Syntax.telexNumber, attribute: 'telexNumber', values: ['123$DE$ans', 'abc', 'a $ b $ c', '$$', 'a$', '$a', 'a#b$c$d', 'Ü$x$y'], refused: ['$$', 'a$', '$a', 'a#b$c$d', 'Ü$x$y'] },
      { syntax: Syntax.facsimileTelephoneNumber, attribute: 'facsimileTelephoneNumber', values: ['+1 425 555 0100', '+1 425 555 0100$twoDimensional', '+1 $ twoDimensional', '+1 425$bogus', 'x#y', '+1$', 'Ü'], refused: ['x#y', '+1$', 'Ü'] },
      { syntax: Syntax.postalAddress, attribute: 'postalAddress', values: ['1 Main St$Springfield', 'a$$b', '$', 'x\\24y', 'x\\5cy', 'x\\5Cy', 'Ümlaut$x', 'x\\zz', 'a\\'], refused: ['x\\zz', 'a\\'] },
      { syntax: Syntax.bitString, attribute: 'x500UniqueIdentifier', values: ["'0101'B", "''B", '0101', "'012'B"], refused: ['0101', "'012'B"] },
    ];
    let n = 0;
    for (const { syntax, attribute, values, refused } of cases) {
      const verdicts: Array<{ value: string; slapd: boolean; ours: boolean }> = [];
      for (const value of values) {
        n += 1;
        const result = await ldapadd(server, [`dn: cn=syntax-${n},ou=dynamic,o=Intranet`, 'objectClass: organizationalPerson', 'objectClass: uidObject', 'objectClass: extensibleObject', `cn: syntax-${n}`, 'sn: syntax', `uid: syntax-${n}`, `${attribute}:: ${b64(value)}`, ''].join('\n'));
        expect([0, 21], `${attribute} ${value}: ${result.stderr}`).toContain(result.code);
        verdicts.push({ value, slapd: result.code === 0, ours: syntaxProblem(syntax, value) === undefined });
      }
      expect(verdicts.filter((v) => v.slapd !== v.ours), attribute).toEqual([]);
      expect(verdicts.filter((v) => !v.slapd).map((v) => v.value), attribute).toEqual(refused);
    }
  });
});

/** The attribute types and object classes rendezvous.schema defines, as our parser reads them. */
function rendezvousDefinitions(): { attributeTypes: AttributeTypeDefinition[]; objectClasses: ObjectClassDefinition[] } {
  const attributeTypes = schema.attributeTypes.filter((a) => a.source?.file === 'rendezvous.schema').map((a) => a.definition);
  const objectClasses = schema.objectClasses.filter((c) => c.source?.file === 'rendezvous.schema').map((c) => c.definition);
  return { attributeTypes, objectClasses };
}
