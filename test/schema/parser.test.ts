import { describe, expect, it } from 'vitest';
import {
  parseAttributeTypeDescription,
  parseLdapSyntaxDescription,
  parseMatchingRuleDescription,
  parseMatchingRuleUseDescription,
  parseObjectClassDescription,
  parseSchemaFile,
  SchemaParseError,
  type AttributeTypeDefinition,
  type ObjectClassDefinition,
  type SchemaDocument,
} from '../../src/directory/schema/index.js';
import { rendezvousText, standardText, thrown } from './helpers.js';

const RENDEZVOUS_ARC = '2.25.323852512624367290224477511680784011185';

function attributes(doc: SchemaDocument): AttributeTypeDefinition[] {
  return doc.statements.flatMap((s) => (s.kind === 'attributeType' ? [s.definition] : []));
}

function classes(doc: SchemaDocument): ObjectClassDefinition[] {
  return doc.statements.flatMap((s) => (s.kind === 'objectClass' ? [s.definition] : []));
}

function parseError(fn: () => unknown): SchemaParseError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(SchemaParseError);
  return error as SchemaParseError;
}

describe('parsing schema/rendezvous.schema', () => {
  const doc = parseSchemaFile(rendezvousText, 'rendezvous.schema');
  const byName = new Map(attributes(doc).map((a) => [a.names[0], a]));

  it('finds the three ILS classes with their published OIDs', () => {
    const oc = new Map(classes(doc).map((c) => [c.names[0], c]));
    expect(oc.get('rtConference')?.oid).toBe('1.2.840.113556.1.4.611.1103010708051501150108150101130009121504000012000415120210000708');
    expect(oc.get('rtPerson')?.oid).toBe('1.2.840.113556.1.4.611.1103010708051504150108150101130009121504000012000415120210000708');
    expect(oc.get('rtApplicationUser')?.oid).toBe('1.2.840.113556.1.4.611.1103010708051503150108150101130009121504000012000415120210000708');
    expect(oc.get('rtConference')).toMatchObject({ kind: 'STRUCTURAL', sup: ['top'], must: ['uid'] });
    expect(oc.get('rtConference')?.may).toEqual(expect.arrayContaining(['cn', 'conferenceBlob', 'protocolID', 'ntSecurityDescriptor']));
  });

  it('expands the objectidentifier macros into the private arc', () => {
    const macros = doc.statements.filter((s) => s.kind === 'objectIdentifier');
    expect(macros.map((m) => (m.kind === 'objectIdentifier' ? [m.name, m.oid] : []))).toEqual([
      ['RendezvousOID', RENDEZVOUS_ARC],
      ['RendezvousAT', `${RENDEZVOUS_ARC}.1`],
      ['RendezvousOC', `${RENDEZVOUS_ARC}.2`],
    ]);
    expect(byName.get('conferenceBlob')?.oid).toBe(`${RENDEZVOUS_ARC}.1.1`);
    expect(doc.macros.get('rendezvousat')).toBe(`${RENDEZVOUS_ARC}.1`);
  });

  it('reads every field of a definition', () => {
    expect(byName.get('startTime')).toEqual({
      oid: `${RENDEZVOUS_ARC}.1.5`,
      names: ['startTime'],
      desc: 'ILS: UTC time the conference becomes available',
      obsolete: false,
      sup: undefined,
      equality: 'generalizedTimeMatch',
      ordering: 'generalizedTimeOrderingMatch',
      substr: undefined,
      syntax: '1.3.6.1.4.1.1466.115.121.1.24',
      syntaxLength: undefined,
      singleValue: true,
      collective: false,
      noUserModification: false,
      usage: 'userApplications',
      extensions: {},
    });
    expect(byName.get('applicationID')?.names).toEqual(['applicationID', 'sAppID']);
    expect(byName.get('ntSecurityDescriptor')).toMatchObject({
      oid: '1.2.840.113556.1.5.108.1103010708070215150108150101130009121504000012000415120210000708',
      syntax: '1.3.6.1.4.1.1466.115.121.1.5',
      singleValue: true,
    });
  });

  it('records where each statement starts', () => {
    const statement = doc.statements.find((s) => s.kind === 'objectClass' && s.definition.names[0] === 'rtPerson');
    const line = rendezvousText.split('\n').findIndex((l) => l.includes('1103010708051504150108150101130009121504000012000415120210000708')) + 1;
    expect(statement?.source).toEqual({ file: 'rendezvous.schema', line });
  });

  it('defines no slapd built-in and no standard element', () => {
    const names = [...attributes(doc), ...classes(doc)].flatMap((d) => d.names.map((n) => n.toLowerCase()));
    for (const builtin of ['objectclass', 'top', 'dynamicobject', 'entryttl', 'dynamicsubtrees', 'createtimestamp', 'entryuuid', 'cn', 'uid', 'c', 'o', 'sn', 'surname', 'givenname', 'mail', 'rfc822mailbox']) {
      expect(names).not.toContain(builtin);
    }
  });
});

describe('parsing schema/standard.schema', () => {
  const doc = parseSchemaFile(standardText, 'standard.schema');

  it('has the RFC 2589, 4512, 4530, 5020 and 3045 operational definitions', () => {
    const byOid = new Map(attributes(doc).map((a) => [a.oid, a]));
    expect(byOid.get('1.3.6.1.4.1.1466.101.119.3')).toMatchObject({ names: ['entryTtl'], singleValue: true, noUserModification: true, usage: 'dSAOperation' });
    expect(byOid.get('1.3.6.1.4.1.1466.101.119.4')).toMatchObject({ names: ['dynamicSubtrees'], syntax: '1.3.6.1.4.1.1466.115.121.1.12' });
    for (const [oid, name] of [
      ['2.5.18.1', 'createTimestamp'],
      ['2.5.18.2', 'modifyTimestamp'],
      ['2.5.18.3', 'creatorsName'],
      ['2.5.18.4', 'modifiersName'],
      ['2.5.18.9', 'hasSubordinates'],
      ['2.5.18.10', 'subschemaSubentry'],
      ['2.5.21.9', 'structuralObjectClass'],
      ['1.3.6.1.1.16.4', 'entryUUID'],
      ['1.3.6.1.1.20', 'entryDN'],
      ['1.3.6.1.1.4', 'vendorName'],
      ['1.3.6.1.1.5', 'vendorVersion'],
      ['1.3.6.1.4.1.1466.101.120.5', 'namingContexts'],
      ['1.3.6.1.4.1.4203.1.3.5', 'supportedFeatures'],
    ]) {
      expect(byOid.get(oid as string)?.names[0]).toBe(name);
    }
    const dynamicObject = classes(doc).find((c) => c.oid === '1.3.6.1.4.1.1466.101.119.2');
    expect(dynamicObject).toMatchObject({ names: ['dynamicObject'], kind: 'AUXILIARY', sup: ['top'] });
  });

  it('joins a DESC folded over several lines with single spaces', () => {
    const dynamicObject = classes(doc).find((c) => c.names[0] === 'dynamicObject');
    expect(dynamicObject?.desc).toMatch(/^This class, if present in an entry, indicates that this entry has a limited lifetime/);
    expect(dynamicObject?.desc).not.toMatch(/ {3}|\t|\n/);
  });

  it('accepts fields out of the RFC order (RFC 3672 subtreeSpecification)', () => {
    expect(attributes(doc).find((a) => a.names[0] === 'subtreeSpecification')).toMatchObject({
      singleValue: true,
      usage: 'directoryOperation',
      syntax: '1.3.6.1.4.1.1466.115.121.1.45',
    });
  });

  it('reads syntax lengths, syntaxes and matching rules', () => {
    expect(attributes(doc).find((a) => a.names[0] === 'mail')).toMatchObject({ syntax: '1.3.6.1.4.1.1466.115.121.1.26', syntaxLength: 256, names: ['mail', 'rfc822Mailbox'] });
    const syntaxes = doc.statements.filter((s) => s.kind === 'ldapSyntax');
    const rules = doc.statements.filter((s) => s.kind === 'matchingRule');
    expect(syntaxes).toHaveLength(38);
    expect(rules).toHaveLength(36);
  });
});

describe('single descriptions', () => {
  it('parses what servers publish, including X- extensions and quoted OIDs', () => {
    expect(
      parseAttributeTypeDescription(
        "( 1.3.6.1.4.1.4203.1.12.2.3.0.16 NAME 'olcDitContentRules' DESC 'OpenLDAP DIT content rules' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 X-ORDERED 'VALUES' )",
      ),
    ).toMatchObject({ names: ['olcDitContentRules'], extensions: { 'X-ORDERED': ['VALUES'] } });
    expect(parseAttributeTypeDescription("( 1.2.3 NAME 'x' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' )").syntax).toBe('1.3.6.1.4.1.1466.115.121.1.15');
    expect(parseObjectClassDescription("( 2.5.20.1 NAME 'subschema' AUXILIARY MAY ( dITStructureRules $ nameForms ) )")).toMatchObject({
      kind: 'AUXILIARY',
      sup: [],
      may: ['dITStructureRules', 'nameForms'],
    });
    expect(parseLdapSyntaxDescription("( 1.3.6.1.4.1.1466.115.121.1.4 DESC 'Audio' X-NOT-HUMAN-READABLE 'TRUE' )")).toEqual({
      oid: '1.3.6.1.4.1.1466.115.121.1.4',
      desc: 'Audio',
      extensions: { 'X-NOT-HUMAN-READABLE': ['TRUE'] },
    });
    expect(parseMatchingRuleDescription("( 2.5.13.2 NAME 'caseIgnoreMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )").syntax).toBe('1.3.6.1.4.1.1466.115.121.1.15');
    expect(parseMatchingRuleUseDescription("( 2.5.13.13 NAME 'booleanMatch' APPLIES ( hasSubordinates $ olcHidden ) )").applies).toEqual(['hasSubordinates', 'olcHidden']);
  });

  it('defaults kind to STRUCTURAL and usage to userApplications, keywords in any case', () => {
    expect(parseObjectClassDescription("( 1.2.3 NAME 'x' sup top must cn )")).toMatchObject({ kind: 'STRUCTURAL', sup: ['top'], must: ['cn'] });
    expect(parseAttributeTypeDescription('( 1.2.3 SUP name usage dsaoperation )').usage).toBe('dSAOperation');
  });

  it('unescapes \\27 and \\5C in quoted strings', () => {
    expect(parseAttributeTypeDescription("( 1.2.3 NAME 'x' DESC 'it\\27s a back\\5cslash' SUP name )").desc).toBe("it's a back\\slash");
  });
});

describe('malformed input', () => {
  // [title, statement, text the error points at (undefined: the end), reason]
  const cases: [string, string, string | undefined, RegExp][] = [
    ['unknown keyword', "attributetype ( 1.2.3 NAME 'x' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 FOO )", 'FOO', /unknown keyword 'FOO'/],
    ['missing closing parenthesis', "objectclass ( 1.2.3 NAME 'x' SUP top", undefined, /expected a keyword or '\)' but the description ends/],
    ['unterminated string', "attributetype ( 1.2.3 NAME 'x SUP name )", "'x", /unterminated quoted string/],
    ['bad numeric OID', "attributetype ( 1.02.3 NAME 'x' SUP name )", '1.02', /'1\.02\.3' is neither a numeric OID nor a known objectidentifier macro/],
    ['unknown macro', "attributetype ( NoSuchMacro:1 NAME 'x' SUP name )", 'NoSuch', /'NoSuchMacro:1' is neither a numeric OID nor a known objectidentifier macro/],
    ['neither SUP nor SYNTAX', "attributetype ( 1.2.3 NAME 'x' EQUALITY caseIgnoreMatch )", undefined, /needs SUP or SYNTAX/],
    ['bad name', "attributetype ( 1.2.3 NAME '1x' SUP name )", "'1x'", /'1x' is not a valid name/],
    ['duplicate keyword', "attributetype ( 1.2.3 NAME 'x' SUP name SINGLE-VALUE SINGLE-VALUE )", 'SINGLE-VALUE )', /SINGLE-VALUE appears twice/],
    ['two kinds', "objectclass ( 1.2.3 NAME 'x' SUP top STRUCTURAL AUXILIARY )", 'AUXILIARY', /one kind, found STRUCTURAL and AUXILIARY/],
    ['NO-USER-MODIFICATION on a user attribute', "attributetype ( 1.2.3 NAME 'x' SUP name NO-USER-MODIFICATION )", 'NO-USER', /NO-USER-MODIFICATION requires an operational USAGE/],
    ['bad usage', "attributetype ( 1.2.3 NAME 'x' SUP name USAGE sometimes )", 'sometimes', /USAGE must be/],
    ['missing $ in a list', "objectclass ( 1.2.3 NAME 'x' SUP top MAY ( cn sn ) )", 'sn', /expected '\$' or '\)' in an OID list, found 'sn'/],
    ['text after the description', "attributetype ( 1.2.3 NAME 'x' SUP name ) extra", 'extra', /unexpected 'extra' after the closing '\)'/],
    ['unknown directive', 'include /etc/ldap/schema/core.schema', 'include', /unknown directive 'include'/],
    ['bad escape', "attributetype ( 1.2.3 NAME 'x' DESC 'a\\41' SUP name )", '\\41', /invalid escape '\\41'/],
  ];
  for (const [title, text, at, reason] of cases) {
    it(`reports ${title} with file, line and column`, () => {
      const error = parseError(() => parseSchemaFile(`# header\n\n${text}\n`, 'bad.schema'));
      const column = at === undefined ? text.length + 1 : text.indexOf(at) + 1;
      expect(error.file).toBe('bad.schema');
      expect(error.line).toBe(3);
      expect(error.column).toBe(column);
      expect(error.reason).toMatch(reason);
      expect(error.message).toMatch(new RegExp(`^bad\\.schema:3:${column}: `));
    });
  }

  it('locates errors on continuation lines', () => {
    const text = ['attributetype ( 1.2.3', "\tNAME 'x'", '\tSUP name', '\tEQUALITY', '\t)'].join('\n');
    const error = parseError(() => parseSchemaFile(text, 'multi.schema'));
    expect(error.message).toBe("multi.schema:5:2: attributetype 1.2.3: expected an OID or a name, found ')'");
  });

  it('ends a statement at a line that does not start with white space', () => {
    const text = ['attributetype ( 1.2.3', "\tNAME 'x'", '\tSUP name', ')'].join('\n');
    const error = parseError(() => parseSchemaFile(text, 'multi.schema'));
    expect(error.message).toBe("multi.schema:3:10: attributetype 1.2.3: expected a keyword or ')' but the description ends");
  });

  it('ends a definition at a comment line, as slapd does', () => {
    const text = ['objectclass ( 1.2.3 NAME \'x\'', '# a comment in the middle', '\tSUP top )'].join('\n');
    const error = parseError(() => parseSchemaFile(text, 'c.schema'));
    expect(error.line).toBe(1);
    expect(error.reason).toMatch(/expected a keyword or '\)' but the description ends/);
  });

  it('rejects a continuation line with nothing to continue', () => {
    const error = parseError(() => parseSchemaFile("\n\tNAME 'x' )\n", 'c.schema'));
    expect(error).toMatchObject({ line: 2, column: 1 });
  });

  it('rejects a macro defined twice', () => {
    const error = parseError(() => parseSchemaFile('objectidentifier A 1.2\nobjectidentifier a 1.3\n', 'm.schema'));
    expect(error).toMatchObject({ line: 2 });
    expect(error.reason).toMatch(/'a' is already defined as 1\.2/);
  });

  it('uses macros passed from an earlier file', () => {
    const first = parseSchemaFile('objectidentifier Base 1.3.6.1.4.1.99999\n', 'a.schema');
    const second = parseSchemaFile("attributetype ( Base:1.2 NAME 'x' SUP name )\n", 'b.schema', { macros: first.macros });
    expect(attributes(second)[0]?.oid).toBe('1.3.6.1.4.1.99999.1.2');
  });

  it('reports single-description errors against <description>', () => {
    const error = parseError(() => parseObjectClassDescription("( 1.2.3 NAME 'x' MUST ( cn $ ) )"));
    expect(error.message).toBe("<description>:1:30: object class 1.2.3: expected an OID or a name, found ')'");
  });

  it('accepts CRLF line ends and trailing white space', () => {
    const doc = parseSchemaFile("attributetype ( 1.2.3 NAME 'x'   \r\n\tSUP name )  \r\n", 'crlf.schema');
    expect(attributes(doc)[0]).toMatchObject({ oid: '1.2.3', names: ['x'], sup: 'name' });
  });
});
