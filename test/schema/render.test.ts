import { describe, expect, it } from 'vitest';
import {
  parseAttributeTypeDescription,
  parseLdapSyntaxDescription,
  parseMatchingRuleDescription,
  parseMatchingRuleUseDescription,
  parseObjectClassDescription,
  parseSchemaFile,
  quoteDString,
  renderAttributeType,
  renderLdapSyntax,
  renderMatchingRule,
  renderMatchingRuleUse,
  renderObjectClass,
  type AttributeTypeDefinition,
  type ObjectClassDefinition,
} from '../../src/directory/schema/index.js';
import { rendezvousText, schema, standardText } from './helpers.js';

const documents = [parseSchemaFile(standardText, 'standard.schema'), parseSchemaFile(rendezvousText, 'rendezvous.schema', { macros: new Map() })];

describe('render then parse gives the same definition', () => {
  const statements = documents.flatMap((d) => d.statements);

  it('for every attribute type of both files', () => {
    const defs = statements.flatMap((s) => (s.kind === 'attributeType' ? [s.definition] : []));
    expect(defs.length).toBeGreaterThan(100);
    for (const def of defs) expect(parseAttributeTypeDescription(renderAttributeType(def)), def.names[0]).toEqual(def);
  });

  it('for every object class of both files', () => {
    const defs = statements.flatMap((s) => (s.kind === 'objectClass' ? [s.definition] : []));
    for (const def of defs) expect(parseObjectClassDescription(renderObjectClass(def)), def.names[0]).toEqual(def);
  });

  it('for every syntax and matching rule', () => {
    for (const s of statements) {
      if (s.kind === 'ldapSyntax') expect(parseLdapSyntaxDescription(renderLdapSyntax(s.definition))).toEqual(s.definition);
      if (s.kind === 'matchingRule') expect(parseMatchingRuleDescription(renderMatchingRule(s.definition))).toEqual(s.definition);
    }
  });

  it('for definitions using every feature of the grammar', () => {
    const attribute: AttributeTypeDefinition = {
      oid: '1.3.6.1.4.1.99999.1',
      names: ['x-one', 'xOne'],
      desc: "quote ' and backslash \\ and UTF-8 é",
      obsolete: true,
      sup: 'name',
      equality: '2.5.13.2',
      ordering: 'caseIgnoreOrderingMatch',
      substr: 'caseIgnoreSubstringsMatch',
      syntax: '1.3.6.1.4.1.1466.115.121.1.15',
      syntaxLength: 64,
      singleValue: true,
      collective: false,
      noUserModification: true,
      usage: 'distributedOperation',
      extensions: { 'X-ORIGIN': ['test'], 'X-MANY': ['a', 'b'], 'X-NONE': [] },
    };
    const rendered = renderAttributeType(attribute);
    expect(rendered).toBe(
      "( 1.3.6.1.4.1.99999.1 NAME ( 'x-one' 'xOne' ) DESC 'quote \\27 and backslash \\5C and UTF-8 é' OBSOLETE SUP name EQUALITY 2.5.13.2 ORDERING caseIgnoreOrderingMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{64} SINGLE-VALUE NO-USER-MODIFICATION USAGE distributedOperation X-ORIGIN 'test' X-MANY ( 'a' 'b' ) X-NONE ( ) )",
    );
    expect(parseAttributeTypeDescription(rendered)).toEqual(attribute);

    const objectClass: ObjectClassDefinition = {
      oid: '1.3.6.1.4.1.99999.2',
      names: [],
      obsolete: false,
      sup: ['top', 'extensibleObject'],
      kind: 'AUXILIARY',
      must: ['cn'],
      may: ['sn', 'description'],
      extensions: {},
    };
    expect(renderObjectClass(objectClass)).toBe('( 1.3.6.1.4.1.99999.2 SUP ( top $ extensibleObject ) AUXILIARY MUST cn MAY ( sn $ description ) )');
    expect(parseObjectClassDescription(renderObjectClass(objectClass))).toEqual(objectClass);

    const use = { oid: '2.5.13.2', names: ['caseIgnoreMatch'], obsolete: false, applies: ['cn', 'uid'], extensions: {} };
    expect(parseMatchingRuleUseDescription(renderMatchingRuleUse(use))).toEqual(use);
  });

  it('quotes per RFC 4512', () => {
    expect(quoteDString("a'b\\c")).toBe("'a\\27b\\5Cc'");
  });
});

describe('renders ILS elements as a browser reads them', () => {
  it('writes a class on one line in RFC field order', () => {
    expect(renderObjectClass(schema.objectClass('rendezvousApplication')!.definition)).toBe(
      "( 2.25.323852512624367290224477511680784011185.2.1 NAME 'rendezvousApplication' DESC 'Rendezvous: container of the registrations of one application' SUP top STRUCTURAL MUST appName MAY ( description $ ntSecurityDescriptor ) )",
    );
    expect(renderAttributeType(schema.attribute('protocolID')!.definition)).toBe(
      "( 2.25.323852512624367290224477511680784011185.1.2 NAME ( 'protocolID' 'sProtID' ) DESC 'ILS: protocol of the conference blob or of the application' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
    );
  });
});

describe('cn=Subschema values', () => {
  const values = schema.subschema();

  it('lists every attribute type and object class', () => {
    expect(values.attributeTypes).toHaveLength(schema.attributeTypes.length);
    expect(values.objectClasses).toHaveLength(schema.objectClasses.length);
    expect(values.objectClasses).toContain(renderObjectClass(schema.objectClass('dynamicObject')!.definition));
    expect(values.attributeTypes.some((v) => v.startsWith("( 1.3.6.1.4.1.1466.101.119.3 NAME 'entryTtl' "))).toBe(true);
    expect(values.attributeTypes.some((v) => v.startsWith("( 1.3.6.1.4.1.1466.101.119.4 NAME 'dynamicSubtrees' "))).toBe(true);
  });

  it('lists the syntaxes and matching rules in use, and only those by default', () => {
    const syntaxOids = values.ldapSyntaxes.map((v) => parseLdapSyntaxDescription(v).oid);
    const ruleNames = values.matchingRules.map((v) => parseMatchingRuleDescription(v).names[0]);
    // Used by attribute types, or the assertion syntax of a used rule (Substring Assertion).
    for (const oid of ['1.3.6.1.4.1.1466.115.121.1.15', '1.3.6.1.4.1.1466.115.121.1.27', '1.3.6.1.4.1.1466.115.121.1.24', '1.3.6.1.4.1.1466.115.121.1.40', '1.3.6.1.4.1.1466.115.121.1.58', '1.3.6.1.1.16.1']) {
      expect(syntaxOids).toContain(oid);
    }
    expect(syntaxOids).not.toContain('1.3.6.1.4.1.1466.115.121.1.23'); // Fax: defined, unused
    expect(ruleNames).toEqual(expect.arrayContaining(['caseIgnoreMatch', 'caseExactMatch', 'generalizedTimeOrderingMatch', 'integerOrderingMatch', 'uuidMatch', 'octetStringMatch']));
    expect(ruleNames).not.toContain('wordMatch');
    const all = schema.subschema({ include: 'all' });
    expect(all.ldapSyntaxes).toHaveLength(schema.ldapSyntaxes.length);
    expect(all.matchingRules).toHaveLength(schema.matchingRules.length);
  });

  it('derives matchingRuleUse from the rules attribute types use', () => {
    const uses = new Map(values.matchingRuleUse.map((v) => parseMatchingRuleUseDescription(v)).map((u) => [u.names[0], u.applies]));
    expect(uses.get('generalizedTimeOrderingMatch')).toEqual(['createTimestamp', 'modifyTimestamp', 'startTime', 'stopTime']);
    expect(uses.get('caseExactMatch')).toEqual(['vendorName', 'vendorVersion', 'conferenceBlob', 'url']);
    expect(uses.get('caseIgnoreMatch')).toContain('cn'); // inherited from name
  });

  it('produces values every description parser reads back', () => {
    for (const v of values.attributeTypes) parseAttributeTypeDescription(v);
    for (const v of values.objectClasses) parseObjectClassDescription(v);
    for (const v of values.matchingRuleUse) parseMatchingRuleUseDescription(v);
  });
});
