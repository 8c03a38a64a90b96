import { describe, expect, it } from 'vitest';
import { Schema, SchemaError, loadSchema, loadSchemaSync } from '../../src/directory/schema/index.js';
import { schema, standardText, thrown, withStandard } from './helpers.js';

function schemaError(fn: () => unknown): SchemaError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(SchemaError);
  return error as SchemaError;
}

describe('lookups', () => {
  it('finds attribute types by any name, in any case, by OID, and ignores options', () => {
    const cn = schema.attribute('cn');
    expect(cn?.oid).toBe('2.5.4.3');
    expect(schema.attribute('CN')).toBe(cn);
    expect(schema.attribute('commonName')).toBe(cn);
    expect(schema.attribute('2.5.4.3')).toBe(cn);
    expect(schema.attribute('cn;lang-en')).toBe(cn);
    expect(schema.attribute(' cn ')).toBe(cn);
    expect(schema.attribute('nosuchattribute')).toBeUndefined();
  });

  it('maps the ILS wire names to the attributes they stand for', () => {
    for (const [wire, name] of [
      ['sappid', 'applicationID'],
      ['sAppGUID', 'guid'],
      ['sAppName', 'appName'],
      ['sipaddress', 'ipAddress'],
      ['smimetype', 'mimeType'],
      ['sport', 'port'],
      ['sprotguid', 'protocolGUID'],
      ['sprotid', 'protocolID'],
      ['sprotmimetype', 'protocolMimeType'],
      ['ssecurity', 'securityToken'],
      ['surname', 'sn'],
      ['rfc822mailbox', 'mail'],
    ]) {
      expect(schema.attribute(wire as string)?.name, wire).toBe(name);
    }
    // sTTL counts minutes, entryTtl seconds: a separate, filter-only attribute.
    expect(schema.attribute('sttl')?.name).toBe('sTTL');
    expect(schema.attribute('sttl')).not.toBe(schema.attribute('entryTtl'));
  });

  it('finds object classes, matching rules and syntaxes', () => {
    expect(schema.objectClass('RTCONFERENCE')?.name).toBe('rtConference');
    expect(schema.objectClass('2.5.6.0')?.name).toBe('top');
    expect(schema.objectClass('dynamicobject')?.kind).toBe('AUXILIARY');
    expect(schema.matchingRule('CASEIGNOREMATCH')?.oid).toBe('2.5.13.2');
    expect(schema.matchingRule('2.5.13.2')?.name).toBe('caseIgnoreMatch');
    expect(schema.ldapSyntax('1.3.6.1.4.1.1466.115.121.1.26{256}')?.description).toBe('IA5 String');
  });

  it('keeps definition order and source locations', () => {
    expect(schema.attributeTypes[0]?.name).toBe('objectClass');
    expect(schema.objectClasses.at(-1)?.name).toBe('rendezvousApplication');
    expect(schema.objectClass('rtPerson')?.source?.file).toBe('rendezvous.schema');
    expect(schema.attribute('cn')?.source?.file).toBe('standard.schema');
  });

  it('loads the default files from disk, asynchronously and synchronously', async () => {
    const loaded = await loadSchema();
    expect(loaded.attributeTypes.map((a) => a.oid)).toEqual(schema.attributeTypes.map((a) => a.oid));
    expect(loadSchemaSync().objectClasses).toHaveLength(schema.objectClasses.length);
  });
});

describe('attribute type inheritance', () => {
  it('inherits syntax and matching rules from SUP', () => {
    const cn = schema.attribute('cn');
    expect(cn?.superior?.name).toBe('name');
    expect(cn?.definition.syntax).toBeUndefined();
    expect(cn?.syntax.oid).toBe('1.3.6.1.4.1.1466.115.121.1.15');
    expect(cn?.equality?.name).toBe('caseIgnoreMatch');
    expect(cn?.substr?.name).toBe('caseIgnoreSubstringsMatch');
    expect(cn?.matching).toEqual({
      equality: 'caseIgnoreMatch',
      ordering: undefined,
      substr: 'caseIgnoreSubstringsMatch',
      syntax: '1.3.6.1.4.1.1466.115.121.1.15',
    });
  });

  it('lets a subtype override the syntax but keep the rules (c: Country String, caseIgnoreMatch)', () => {
    const c = schema.attribute('c');
    expect(c?.syntax.description).toBe('Country String');
    expect(c?.equality?.name).toBe('caseIgnoreMatch');
    expect(c?.singleValue).toBe(true);
  });

  it('resolves chains across files and subtypes', () => {
    expect(schema.isSubtypeOf('member', 'distinguishedName')).toBe(true);
    expect(schema.isSubtypeOf('cn', 'name')).toBe(true);
    expect(schema.isSubtypeOf('uid', 'name')).toBe(false);
    expect(schema.attribute('member')?.equality?.name).toBe('distinguishedNameMatch');
  });

  it('marks operational attributes', () => {
    expect(schema.attribute('entryTtl')).toMatchObject({ operational: true, usage: 'dSAOperation', noUserModification: true, singleValue: true });
    expect(schema.attribute('createTimestamp')?.ordering?.name).toBe('generalizedTimeOrderingMatch');
    expect(schema.attribute('conferenceBlob')?.operational).toBe(false);
  });

  it('resolves supertypes defined later in the files (forward references)', () => {
    const later = withStandard("attributetype ( 1.1.1 NAME 'early' SUP late )\nattributetype ( 1.1.2 NAME 'late' SUP description SINGLE-VALUE )\n");
    expect(later.attribute('early')?.syntax.oid).toBe('1.3.6.1.4.1.1466.115.121.1.15');
    expect(later.attribute('early')?.superior?.name).toBe('late');
  });
});

describe('object class inheritance', () => {
  it('collects MUST and MAY through the superclass chain', () => {
    const orgPerson = schema.objectClass('organizationalPerson');
    expect(orgPerson?.superclasses.map((c) => c.name)).toEqual(['person', 'top']);
    expect(orgPerson?.must.map((a) => a.name).sort()).toEqual(['cn', 'objectClass', 'sn']);
    expect(orgPerson?.may.map((a) => a.name)).toEqual(expect.arrayContaining(['title', 'userPassword', 'telephoneNumber', 'description']));
    expect(orgPerson?.may.map((a) => a.name)).not.toContain('cn');
  });

  it('gives the ILS classes objectClass from top', () => {
    expect(schema.objectClass('rtConference')?.must.map((a) => a.name)).toEqual(['uid', 'objectClass']);
    expect(schema.objectClass('rtPerson')?.must.map((a) => a.name)).toEqual(['cn', 'objectClass']);
    expect(schema.objectClass('rtApplicationUser')?.must.map((a) => a.name)).toEqual(['cn', 'objectClass']);
  });

  it('lists what a set of classes allows', () => {
    const allowed = schema.allowedAttributes(['rtConference', 'dynamicObject']);
    expect(allowed.must.map((a) => a.name)).toEqual(['uid', 'objectClass']);
    expect(allowed.may.map((a) => a.name)).toEqual(expect.arrayContaining(['cn', 'conferenceBlob', 'protocolID', 'ntSecurityDescriptor', 'startTime']));
    expect(allowed).toMatchObject({ extensible: false, unknown: [] });
    expect(schema.allowedAttributes(['subentry', 'subschema', 'extensibleObject', 'nosuch'])).toMatchObject({ extensible: true, unknown: ['nosuch'] });
  });

  it('finds the structural object class and expands superclasses', () => {
    expect(schema.structuralObjectClass(['top', 'rtPerson', 'dynamicObject'])?.name).toBe('rtPerson');
    expect(schema.structuralObjectClass(['inetOrgPerson'])).toBeUndefined();
    expect(schema.structuralObjectClass(['person', 'organizationalPerson'])?.name).toBe('organizationalPerson');
    expect(schema.structuralObjectClass(['rtPerson', 'rtConference'])).toBeUndefined();
    expect(schema.expandObjectClasses(['residentialPerson']).classes.map((c) => c.name)).toEqual(['residentialPerson', 'person', 'top']);
    expect(schema.isSubclassOf('rtConference', 'top')).toBe(true);
    expect(schema.isSubclassOf('dynamicObject', 'rtConference')).toBe(false);
  });
});

describe('inconsistent definitions', () => {
  it('reports every problem with file, line and element', () => {
    const extra = [
      "attributetype ( 1.1.1 NAME 'a1' SUP nosuchtype )",
      "attributetype ( 1.1.2 NAME 'a2' EQUALITY nosuchMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
      "attributetype ( 1.1.3 NAME 'a3' SYNTAX 1.2.3.4.5 )",
      "objectclass ( 1.1.4 NAME 'o1' SUP top MUST ( a1 $ nosuchattr ) )",
      "objectclass ( 1.1.5 NAME 'o2' SUP nosuchclass )",
    ].join('\n');
    const error = schemaError(() => withStandard(extra));
    expect(error.problems.map((p) => [p.source?.line, p.element, p.message])).toEqual([
      [1, "attributetype 'a1'", "unknown supertype 'nosuchtype'"],
      [2, "attributetype 'a2'", "unknown EQUALITY matching rule 'nosuchMatch'"],
      [3, "attributetype 'a3'", 'unknown syntax 1.2.3.4.5'],
      [4, "objectclass 'o1'", "MUST names unknown attribute type 'nosuchattr'"],
      [5, "objectclass 'o2'", "unknown superclass 'nosuchclass'"],
    ]);
    expect(error.message).toContain("extra.schema:4: objectclass 'o1': MUST names unknown attribute type 'nosuchattr'");
  });

  it('reports duplicate OIDs and names (redefining a standard attribute)', () => {
    const error = schemaError(() => withStandard("attributetype ( 2.5.4.3 NAME 'cn' SUP name )\nattributetype ( 1.1.1 NAME 'CommonName' SUP name )\n"));
    const line = standardText.split('\n').findIndex((l) => l.startsWith('attributetype ( 2.5.4.3 ')) + 1;
    expect(error.problems.map((p) => p.message)).toEqual([
      `OID '2.5.4.3' is already used by attributetype 'cn' (standard.schema:${line})`,
      `name 'cn' is already used by attributetype 'cn' (standard.schema:${line})`,
      `name 'CommonName' is already used by attributetype 'cn' (standard.schema:${line})`,
    ]);
    expect(error.problems.map((p) => p.source)).toEqual([
      { file: 'extra.schema', line: 1 },
      { file: 'extra.schema', line: 1 },
      { file: 'extra.schema', line: 2 },
    ]);
  });

  it('reports circular inheritance', () => {
    const error = schemaError(() =>
      withStandard("attributetype ( 1.1.1 NAME 'x' SUP y )\nattributetype ( 1.1.2 NAME 'y' SUP x )\nobjectclass ( 1.1.3 NAME 'p' SUP ( top $ q ) )\nobjectclass ( 1.1.4 NAME 'q' SUP p )\n"),
    );
    expect(error.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/supertype chain through '(x|y)' is circular/), expect.stringMatching(/superclass chain through '(p|q)' is circular/)]),
    );
  });

  it('enforces the RFC 4512 rules on kinds, usage and collective', () => {
    const error = schemaError(() =>
      withStandard(
        [
          "objectclass ( 1.1.1 NAME 'aux' SUP top AUXILIARY )",
          "objectclass ( 1.1.2 NAME 'badStructural' SUP aux STRUCTURAL )",
          "objectclass ( 1.1.3 NAME 'badAbstract' SUP person ABSTRACT )",
          "objectclass ( 1.1.4 NAME 'badAux' SUP person AUXILIARY )",
          "objectclass ( 1.1.5 NAME 'orphan' STRUCTURAL MUST cn )",
          "attributetype ( 1.1.6 NAME 'opSub' SUP name USAGE directoryOperation )",
        ].join('\n'),
      ),
    );
    expect(error.problems.map((p) => `${p.element}: ${p.message}`).sort()).toEqual(
      [
        "attributetype 'opSub': USAGE directoryOperation differs from supertype 'name' (userApplications); RFC 4512 2.5.1 requires the same",
        "objectclass 'badAbstract': an ABSTRACT class cannot derive from the STRUCTURAL class 'person' (RFC 4512 2.4)",
        "objectclass 'badAux': an AUXILIARY class cannot derive from the STRUCTURAL class 'person' (RFC 4512 2.4)",
        "objectclass 'badStructural': a STRUCTURAL class cannot derive from the AUXILIARY class 'aux' (RFC 4512 2.4)",
        "objectclass 'orphan': a STRUCTURAL class must derive from 'top' (RFC 4512 2.4.2)",
      ],
    );
    expect(error.problems).toHaveLength(5);
  });

  it('needs the standard schema to resolve rendezvous.schema', () => {
    const error = schemaError(() => Schema.fromSources([{ file: 'rendezvous.schema', text: "objectclass ( 1.1.1 NAME 'x' SUP top MUST cn )" }]));
    expect(error.problems.map((p) => p.message).sort()).toEqual(["MUST names unknown attribute type 'cn'", "unknown superclass 'top'"]);
  });
});
