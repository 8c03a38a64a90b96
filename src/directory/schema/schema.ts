/**
 * The {@link Schema}: the resolved schema with its lookups, the attribute sets object
 * classes allow, entry checks and the cn=Subschema rendering.
 *
 * @packageDocumentation
 */
import type { AttributeType, LdapSyntax, MatchingRule, ObjectClass } from './elements.js';
import { checkEntry, EXTENSIBLE_OBJECT_OID, resolveObjectClasses, splitAttributeDescription, type CheckEntryOptions, type EntryAttributes, type EntryProblem } from './entry-check.js';
import { parseSchemaFile } from './parser.js';
import { buildRegistry, keyOf, type Registry } from './registry.js';
import { subschemaValues, type SubschemaOptions, type SubschemaValues } from './subschema.js';
import type { SchemaDocument } from './types.js';

/** A schema file's name and text. */
export interface SchemaSource {
  readonly file: string;
  readonly text: string;
}

/** What a set of object classes lets an entry hold. */
export interface AllowedAttributes {
  /** Required, own and inherited. */
  readonly must: readonly AttributeType[];
  /** Allowed and not required. */
  readonly may: readonly AttributeType[];
  /** extensibleObject is among the classes: every user attribute is allowed. */
  readonly extensible: boolean;
  /** Names that are not object classes (they contribute nothing). */
  readonly unknown: readonly string[];
}

/**
 * A resolved schema. Build it with {@link Schema.fromSources} (text) or
 * {@link Schema.fromDocuments} (parsed files); {@link loadSchema} reads the files for you.
 * Names are looked up case-insensitively, OIDs exactly; attribute lookups ignore options
 * (`cn;lang-en` finds `cn`).
 */
export class Schema {
  private readonly registry: Registry;

  private constructor(registry: Registry) {
    this.registry = registry;
  }

  /**
   * Builds a schema from parsed documents, in order.
   *
   * @throws {@link SchemaError} listing every inconsistency.
   */
  static fromDocuments(documents: readonly SchemaDocument[]): Schema {
    return new Schema(buildRegistry(documents));
  }

  /**
   * Parses schema files given as text, in order (OID macros of one file are visible in the
   * next, as in slapd), and builds the schema.
   *
   * @throws {@link SchemaParseError} for a file that does not parse.
   * @throws {@link SchemaError} for definitions that do not fit together.
   */
  static fromSources(sources: readonly SchemaSource[]): Schema {
    const documents: SchemaDocument[] = [];
    let macros: ReadonlyMap<string, string> = new Map();
    for (const source of sources) {
      const document = parseSchemaFile(source.text, source.file, { macros });
      macros = document.macros;
      documents.push(document);
    }
    return Schema.fromDocuments(documents);
  }

  /** Every attribute type, in definition order. */
  get attributeTypes(): readonly AttributeType[] {
    return this.registry.attributeTypes;
  }

  /** Every object class, in definition order. */
  get objectClasses(): readonly ObjectClass[] {
    return this.registry.objectClasses;
  }

  /** Every LDAP syntax, in definition order. */
  get ldapSyntaxes(): readonly LdapSyntax[] {
    return this.registry.syntaxes;
  }

  /** Every matching rule, in definition order. */
  get matchingRules(): readonly MatchingRule[] {
    return this.registry.matchingRules;
  }

  /** The attribute type named by a name, an OID or an attribute description with options. */
  attribute(nameOrOid: string): AttributeType | undefined {
    return this.registry.attributeTypeByKey.get(keyOf(splitAttributeDescription(nameOrOid).type));
  }

  /** The object class with this name or OID. */
  objectClass(nameOrOid: string): ObjectClass | undefined {
    return this.registry.objectClassByKey.get(keyOf(nameOrOid));
  }

  /** The matching rule with this name or OID. */
  matchingRule(nameOrOid: string): MatchingRule | undefined {
    return this.registry.matchingRuleByKey.get(keyOf(nameOrOid));
  }

  /** The LDAP syntax with this OID (a `{len}` suffix is ignored). */
  ldapSyntax(oid: string): LdapSyntax | undefined {
    return this.registry.syntaxByOid.get(oid.trim().replace(/\{\d+\}$/, ''));
  }

  /** Is `objectClass` the class `ancestor` or one of its subclasses? Names or OIDs. */
  isSubclassOf(objectClass: string | ObjectClass, ancestor: string | ObjectClass): boolean {
    const cls = typeof objectClass === 'string' ? this.objectClass(objectClass) : objectClass;
    const sup = typeof ancestor === 'string' ? this.objectClass(ancestor) : ancestor;
    if (!cls || !sup) return false;
    return cls.oid === sup.oid || cls.superclasses.some((c) => c.oid === sup.oid);
  }

  /** Is `type` the attribute type `ancestor` or one of its subtypes? Names or OIDs. */
  isSubtypeOf(type: string | AttributeType, ancestor: string | AttributeType): boolean {
    let at = typeof type === 'string' ? this.attribute(type) : type;
    const sup = typeof ancestor === 'string' ? this.attribute(ancestor) : ancestor;
    if (!sup) return false;
    for (; at; at = at.superior) if (at.oid === sup.oid) return true;
    return false;
  }

  /** The classes named and all their superclasses, without duplicates; unknown names apart. */
  expandObjectClasses(objectClasses: Iterable<string | ObjectClass>): { classes: readonly ObjectClass[]; unknown: readonly string[] } {
    const { classes, unknown } = resolveObjectClasses(this, objectClasses);
    return { classes, unknown };
  }

  /**
   * The entry's structural object class (RFC 4512 2.4.2): the most specific structural class
   * among `objectClasses` and their superclasses, or undefined when there is none or more
   * than one chain. This is the value of `structuralObjectClass`.
   */
  structuralObjectClass(objectClasses: Iterable<string | ObjectClass>): ObjectClass | undefined {
    const { structural } = resolveObjectClasses(this, objectClasses);
    return structural.length === 1 ? structural[0] : undefined;
  }

  /** Attributes an entry of these object classes must and may hold (superclasses included). */
  allowedAttributes(objectClasses: Iterable<string | ObjectClass>): AllowedAttributes {
    const { classes, unknown } = resolveObjectClasses(this, objectClasses);
    const must = new Map<string, AttributeType>();
    const may = new Map<string, AttributeType>();
    for (const objectClass of classes) {
      for (const type of objectClass.must) must.set(type.oid, type);
    }
    for (const objectClass of classes) {
      for (const type of objectClass.may) if (!must.has(type.oid)) may.set(type.oid, type);
    }
    const extensible = classes.some((c) => c.oid === EXTENSIBLE_OBJECT_OID);
    return { must: [...must.values()], may: [...may.values()], extensible, unknown };
  }

  /**
   * Checks an entry against the schema; see {@link checkEntry} for what is and is not
   * checked. An empty result means the entry conforms.
   *
   * @param objectClasses The objectClass values.
   * @param attributes The other attributes, by attribute description.
   */
  checkEntry(objectClasses: readonly string[], attributes: EntryAttributes, options?: CheckEntryOptions): EntryProblem[] {
    return checkEntry(this, objectClasses, attributes, options);
  }

  /** The values of cn=Subschema's ldapSyntaxes, matchingRules, matchingRuleUse, attributeTypes and objectClasses. */
  subschema(options?: SubschemaOptions): SubschemaValues {
    return subschemaValues(this, options);
  }
}
