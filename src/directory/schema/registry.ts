/**
 * Puts parsed schema documents together: registers every element under its OID and names,
 * resolves references (superclasses, supertypes, syntaxes, matching rules) and inheritance,
 * and checks the RFC 4512 rules that span definitions. References may point forward and
 * across files; every problem is collected before failing.
 *
 * @packageDocumentation
 */
import type { AttributeMatching, AttributeType, LdapSyntax, MatchingRule, ObjectClass } from './elements.js';
import { SchemaError, type SchemaProblem } from './errors.js';
import { isNumericOid } from './parser.js';
import type {
  AttributeTypeDefinition,
  LdapSyntaxDefinition,
  MatchingRuleDefinition,
  ObjectClassDefinition,
  SchemaDocument,
  SourceLocation,
} from './types.js';

/** All elements, in definition order, and their lookup tables. */
export interface Registry {
  readonly syntaxes: readonly LdapSyntax[];
  readonly matchingRules: readonly MatchingRule[];
  readonly attributeTypes: readonly AttributeType[];
  readonly objectClasses: readonly ObjectClass[];
  /** By OID. */
  readonly syntaxByOid: ReadonlyMap<string, LdapSyntax>;
  /** By OID and by lower-cased name. */
  readonly matchingRuleByKey: ReadonlyMap<string, MatchingRule>;
  readonly attributeTypeByKey: ReadonlyMap<string, AttributeType>;
  readonly objectClassByKey: ReadonlyMap<string, ObjectClass>;
}

/** Lookup key of a name or OID: OIDs as they are, names lower-cased. */
export function keyOf(nameOrOid: string): string {
  const trimmed = nameOrOid.trim();
  return isNumericOid(trimmed) ? trimmed : trimmed.toLowerCase();
}

const TOP_OID = '2.5.6.0';

interface Located<T> {
  readonly definition: T;
  readonly source: SourceLocation | undefined;
}

function label(kind: string, def: { oid: string; names?: readonly string[] }): string {
  const name = def.names?.[0];
  return name === undefined ? `${kind} ${def.oid}` : `${kind} '${name}'`;
}

function where(source: SourceLocation | undefined): string {
  return source ? ` (${source.file}:${source.line})` : '';
}

function duplicate(key: string, previous: string): string {
  return `${isNumericOid(key) ? 'OID' : 'name'} '${key}' is already used by ${previous}`;
}

class Builder {
  readonly problems: SchemaProblem[] = [];
  readonly syntaxes: LdapSyntax[] = [];
  readonly matchingRules: MatchingRule[] = [];
  readonly attributeTypes: AttributeType[] = [];
  readonly objectClasses: ObjectClass[] = [];
  readonly syntaxByOid = new Map<string, LdapSyntax>();
  readonly matchingRuleByKey = new Map<string, MatchingRule>();
  readonly attributeTypeByKey = new Map<string, AttributeType>();
  readonly objectClassByKey = new Map<string, ObjectClass>();

  problem(source: SourceLocation | undefined, element: string, message: string): void {
    this.problems.push({ source, element, message });
  }

  /** Registers `keys` of one element in `map`, reporting clashes with earlier elements. */
  claim<T extends { oid: string; source: SourceLocation | undefined }>(
    map: Map<string, T>,
    keys: readonly string[],
    value: T,
    element: string,
    kind: string,
  ): void {
    for (const key of keys) {
      const previous = map.get(keyOf(key));
      if (previous && previous !== value) {
        this.problem(value.source, element, duplicate(key, `${kind} ${previous.oid}${where(previous.source)}`));
        continue;
      }
      map.set(keyOf(key), value);
    }
  }

  /** A syntax that stands in for an unknown one, so that one mistake reports once. */
  placeholderSyntax(oid: string): LdapSyntax {
    return { definition: { oid, extensions: {} }, oid, description: undefined, source: undefined };
  }

  addSyntax({ definition, source }: Located<LdapSyntaxDefinition>): void {
    const syntax: LdapSyntax = { definition, oid: definition.oid, description: definition.desc, source };
    this.claim(this.syntaxByOid, [definition.oid], syntax, label('ldapsyntax', definition), 'ldapsyntax');
    this.syntaxes.push(syntax);
  }

  syntax(oid: string, source: SourceLocation | undefined, element: string): LdapSyntax {
    const syntax = this.syntaxByOid.get(oid);
    if (syntax) return syntax;
    this.problem(source, element, `unknown syntax ${oid}`);
    return this.placeholderSyntax(oid);
  }

  addMatchingRule({ definition, source }: Located<MatchingRuleDefinition>): void {
    const element = label('matchingrule', definition);
    const rule: MatchingRule = {
      definition,
      oid: definition.oid,
      name: definition.names[0] ?? definition.oid,
      names: definition.names,
      syntax: this.syntax(definition.syntax, source, element),
      source,
    };
    this.claim(this.matchingRuleByKey, [definition.oid, ...definition.names], rule, element, 'matchingrule');
    this.matchingRules.push(rule);
  }

  rule(reference: string | undefined, role: string, source: SourceLocation | undefined, element: string): MatchingRule | undefined {
    if (reference === undefined) return undefined;
    const rule = this.matchingRuleByKey.get(keyOf(reference));
    if (!rule) this.problem(source, element, `unknown ${role} matching rule '${reference}'`);
    return rule;
  }
}

/** Resolves attribute types in supertype order, detecting unknown supertypes and cycles. */
function resolveAttributeTypes(builder: Builder, located: readonly Located<AttributeTypeDefinition>[]): void {
  const byKey = new Map<string, Located<AttributeTypeDefinition>>();
  for (const item of located) {
    const element = label('attributetype', item.definition);
    for (const key of [item.definition.oid, ...item.definition.names]) {
      const previous = byKey.get(keyOf(key));
      if (previous) builder.problem(item.source, element, duplicate(key, `${label('attributetype', previous.definition)}${where(previous.source)}`));
      else byKey.set(keyOf(key), item);
    }
  }
  const done = new Map<Located<AttributeTypeDefinition>, AttributeType>();
  const visiting = new Set<Located<AttributeTypeDefinition>>();

  const resolve = (item: Located<AttributeTypeDefinition>): AttributeType => {
    const finished = done.get(item);
    if (finished) return finished;
    const { definition: def, source } = item;
    const element = label('attributetype', def);
    visiting.add(item);
    let superior: AttributeType | undefined;
    if (def.sup !== undefined) {
      const supItem = byKey.get(keyOf(def.sup));
      if (!supItem) builder.problem(source, element, `unknown supertype '${def.sup}'`);
      else if (visiting.has(supItem)) builder.problem(source, element, `supertype chain through '${def.sup}' is circular`);
      else superior = resolve(supItem);
    }
    visiting.delete(item);
    if (superior) {
      if (superior.usage !== def.usage) {
        builder.problem(source, element, `USAGE ${def.usage} differs from supertype '${def.sup ?? ''}' (${superior.usage}); RFC 4512 2.5.1 requires the same`);
      }
      if (superior.collective && !def.collective) builder.problem(source, element, `the supertype '${def.sup ?? ''}' is COLLECTIVE, so this type must be too`);
    }
    const syntax = def.syntax !== undefined ? builder.syntax(def.syntax, source, element) : (superior?.syntax ?? builder.placeholderSyntax(''));
    const equality = def.equality !== undefined ? builder.rule(def.equality, 'EQUALITY', source, element) : superior?.equality;
    const ordering = def.ordering !== undefined ? builder.rule(def.ordering, 'ORDERING', source, element) : superior?.ordering;
    const substr = def.substr !== undefined ? builder.rule(def.substr, 'SUBSTR', source, element) : superior?.substr;
    const matching: AttributeMatching = { equality: equality?.name, ordering: ordering?.name, substr: substr?.name, syntax: syntax.oid };
    const type: AttributeType = {
      definition: def,
      oid: def.oid,
      name: def.names[0] ?? def.oid,
      names: def.names,
      superior,
      syntax,
      syntaxLength: def.syntax !== undefined ? def.syntaxLength : superior?.syntaxLength,
      equality,
      ordering,
      substr,
      matching,
      singleValue: def.singleValue,
      collective: def.collective,
      noUserModification: def.noUserModification,
      obsolete: def.obsolete,
      usage: def.usage,
      operational: def.usage !== 'userApplications',
      source,
    };
    done.set(item, type);
    return type;
  };

  for (const item of located) {
    const type = resolve(item);
    builder.attributeTypes.push(type);
    for (const key of [type.oid, ...type.names]) {
      if (!builder.attributeTypeByKey.has(keyOf(key))) builder.attributeTypeByKey.set(keyOf(key), type);
    }
  }
}

function unique<T extends { oid: string }>(items: Iterable<T>): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    if (seen.has(item.oid)) continue;
    seen.add(item.oid);
    out.push(item);
  }
  return out;
}

/** Resolves object classes in superclass order, with the RFC 4512 rules on kinds. */
function resolveObjectClasses(builder: Builder, located: readonly Located<ObjectClassDefinition>[]): void {
  const byKey = new Map<string, Located<ObjectClassDefinition>>();
  for (const item of located) {
    const element = label('objectclass', item.definition);
    for (const key of [item.definition.oid, ...item.definition.names]) {
      const previous = byKey.get(keyOf(key));
      if (previous) builder.problem(item.source, element, duplicate(key, `${label('objectclass', previous.definition)}${where(previous.source)}`));
      else byKey.set(keyOf(key), item);
    }
  }
  const done = new Map<Located<ObjectClassDefinition>, ObjectClass>();
  const visiting = new Set<Located<ObjectClassDefinition>>();

  const attributes = (names: readonly string[], role: string, source: SourceLocation | undefined, element: string): AttributeType[] => {
    const types: AttributeType[] = [];
    for (const name of names) {
      const type = builder.attributeTypeByKey.get(keyOf(name));
      if (type) types.push(type);
      else builder.problem(source, element, `${role} names unknown attribute type '${name}'`);
    }
    return types;
  };

  const resolve = (item: Located<ObjectClassDefinition>): ObjectClass => {
    const finished = done.get(item);
    if (finished) return finished;
    const { definition: def, source } = item;
    const element = label('objectclass', def);
    visiting.add(item);
    const superiors: ObjectClass[] = [];
    for (const sup of def.sup) {
      const supItem = byKey.get(keyOf(sup));
      if (!supItem) builder.problem(source, element, `unknown superclass '${sup}'`);
      else if (visiting.has(supItem)) builder.problem(source, element, `superclass chain through '${sup}' is circular`);
      else superiors.push(resolve(supItem));
    }
    visiting.delete(item);
    for (const superior of superiors) {
      const bad =
        (def.kind === 'ABSTRACT' && superior.kind !== 'ABSTRACT') ||
        (def.kind === 'STRUCTURAL' && superior.kind === 'AUXILIARY') ||
        (def.kind === 'AUXILIARY' && superior.kind === 'STRUCTURAL');
      if (bad) builder.problem(source, element, `${def.kind === 'STRUCTURAL' ? 'a' : 'an'} ${def.kind} class cannot derive from the ${superior.kind} class '${superior.name}' (RFC 4512 2.4)`);
    }
    const superclasses = unique(superiors.flatMap((superior) => [superior, ...superior.superclasses]));
    if (def.kind === 'STRUCTURAL' && def.oid !== TOP_OID && !superclasses.some((c) => c.oid === TOP_OID) && superiors.length === def.sup.length) {
      builder.problem(source, element, "a STRUCTURAL class must derive from 'top' (RFC 4512 2.4.2)");
    }
    const must = unique([...attributes(def.must, 'MUST', source, element), ...superclasses.flatMap((c) => c.must)]);
    const mustOids = new Set(must.map((type) => type.oid));
    const may = unique([...attributes(def.may, 'MAY', source, element), ...superclasses.flatMap((c) => c.may)]).filter(
      (type) => !mustOids.has(type.oid),
    );
    const objectClass: ObjectClass = {
      definition: def,
      oid: def.oid,
      name: def.names[0] ?? def.oid,
      names: def.names,
      kind: def.kind,
      obsolete: def.obsolete,
      superiors,
      superclasses,
      must,
      may,
      source,
    };
    done.set(item, objectClass);
    return objectClass;
  };

  for (const item of located) {
    const objectClass = resolve(item);
    builder.objectClasses.push(objectClass);
    for (const key of [objectClass.oid, ...objectClass.names]) {
      if (!builder.objectClassByKey.has(keyOf(key))) builder.objectClassByKey.set(keyOf(key), objectClass);
    }
  }
}

/**
 * Builds the registry of `documents`, taken in order as one schema.
 *
 * @throws {@link SchemaError} listing every problem: duplicate OIDs or names, unknown
 * references, circular inheritance, and RFC 4512 rules on usage, COLLECTIVE and class kinds.
 */
export function buildRegistry(documents: readonly SchemaDocument[]): Registry {
  const builder = new Builder();
  const attributeTypes: Located<AttributeTypeDefinition>[] = [];
  const objectClasses: Located<ObjectClassDefinition>[] = [];
  const statements = documents.flatMap((document) => document.statements);
  for (const statement of statements) {
    if (statement.kind === 'ldapSyntax') builder.addSyntax(statement);
  }
  for (const statement of statements) {
    if (statement.kind === 'matchingRule') builder.addMatchingRule(statement);
    else if (statement.kind === 'attributeType') attributeTypes.push(statement);
    else if (statement.kind === 'objectClass') objectClasses.push(statement);
  }
  resolveAttributeTypes(builder, attributeTypes);
  resolveObjectClasses(builder, objectClasses);
  if (builder.problems.length > 0) throw new SchemaError(builder.problems);
  return builder;
}
