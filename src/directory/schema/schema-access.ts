/**
 * What the directory needs of the schema, resolved once at start: every attribute type with
 * its inherited matching rules and syntax, every object class with its inherited MUST and MAY.
 */
import type { ResultCodeValue } from '../errors.js';
import type { MatchingRules } from '../model/matching.js';
import { isBinarySyntax, Syntax } from '../model/matching.js';
import type { AttributeType, ObjectClass, Schema } from './index.js';
import type { ObjectClassKind } from './types.js';

/** An attribute type, resolved. */
export interface AttributeInfo {
  /** Primary name (or the OID when it has none), as the directory returns it. */
  readonly name: string;
  /** Lower-case primary name: the key in stored entries and in the index. */
  readonly key: string;
  readonly oid: string;
  /** Every name and the OID, lower-cased. */
  readonly aliases: readonly string[];
  readonly rules: MatchingRules;
  readonly singleValue: boolean;
  readonly noUserModification: boolean;
  /** usage other than userApplications. */
  readonly operational: boolean;
  /** Values are bytes (octet string syntaxes). */
  readonly binary: boolean;
}

/** An object class, resolved. */
export interface ClassInfo {
  readonly name: string;
  readonly key: string;
  readonly oid: string;
  readonly kind: ObjectClassKind;
  /** Keys of this class and all its superclasses. */
  readonly lineage: readonly string[];
  /** Attribute keys required, inherited included. */
  readonly must: ReadonlySet<string>;
  /** Attribute keys allowed (MUST and MAY), inherited included. */
  readonly allowed: ReadonlySet<string>;
}

/** Lookups the directory makes. */
export interface SchemaAccess {
  /** By any name or OID, case-insensitively. */
  attribute(nameOrOid: string): AttributeInfo | undefined;
  objectClass(nameOrOid: string): ClassInfo | undefined;
  /**
   * The first problem of a complete entry against its classes (MUST, MAY, SINGLE-VALUE,
   * structural chain), with the result code slapd gives for it; undefined when it is valid.
   */
  checkEntry(objectClasses: readonly string[], attributes: Readonly<Record<string, readonly string[]>>): { code: ResultCodeValue; message: string } | undefined;
  /** RFC 4512 description strings for cn=Subschema. */
  readonly descriptions: {
    readonly attributeTypes: readonly string[];
    readonly objectClasses: readonly string[];
    readonly ldapSyntaxes: readonly string[];
    readonly matchingRules: readonly string[];
    readonly matchingRuleUse: readonly string[];
  };
}

/**
 * The equality the directory applies to an attribute whose type names none. A Binary value
 * (ntSecurityDescriptor, [MS-TAIL] §2.3.4) is compared byte for byte, so that a client can
 * compare it and delete the value it knows: the schema file cannot say so, as slapd takes no
 * octetStringMatch for the Binary syntax.
 */
function impliedEquality(syntax: string | undefined): string | undefined {
  return syntax === Syntax.binary ? 'octetStringMatch' : undefined;
}

/** Builds an {@link AttributeInfo} from resolved parts. */
export function attributeInfo(parts: {
  oid: string;
  names: readonly string[];
  rules: MatchingRules;
  singleValue: boolean;
  noUserModification: boolean;
  usage: string;
}): AttributeInfo {
  const name = parts.names[0] ?? parts.oid;
  return {
    name,
    key: name.toLowerCase(),
    oid: parts.oid,
    aliases: [...parts.names.map((n) => n.toLowerCase()), parts.oid],
    rules: parts.rules,
    singleValue: parts.singleValue,
    noUserModification: parts.noUserModification,
    operational: parts.usage !== 'userApplications',
    binary: isBinarySyntax(parts.rules.syntax),
  };
}

/**
 * Resolves a loaded {@link Schema} into the lookups the directory makes, caching each answer.
 */
export function schemaAccess(schema: Schema): SchemaAccess {
  // Answers are kept by the spellings the schema defines (a name in lower case, an OID), so
  // the caches hold at most what the schema holds; a name the schema lacks, or one with
  // options, is looked up each time: clients send any number of those.
  const attributes = new Map<string, AttributeInfo>();
  const infos = new Map<AttributeType, AttributeInfo>();
  const classes = new Map<string, ClassInfo>();
  const classInfos = new Map<ObjectClass, ClassInfo>();
  const defines = (element: { oid: string; names: readonly string[] }, key: string): boolean => element.oid === key || element.names.some((n) => n.toLowerCase() === key);
  const infoOf = (type: AttributeType): AttributeInfo =>
    attributeInfo({
      oid: type.oid,
      names: type.names,
      rules: { equality: type.matching.equality ?? impliedEquality(type.matching.syntax), ordering: type.matching.ordering, substr: type.matching.substr, syntax: type.matching.syntax },
      singleValue: type.singleValue,
      noUserModification: type.noUserModification,
      usage: type.usage,
    });
  const keyOfType = (type: AttributeType): string => (type.names[0] ?? type.oid).toLowerCase();
  const subschema = schema.subschema();
  return {
    attribute(nameOrOid) {
      const key = nameOrOid.toLowerCase();
      const known = attributes.get(key);
      if (known) return known;
      const type = schema.attribute(nameOrOid);
      if (!type) return undefined;
      let info = infos.get(type);
      if (!info) infos.set(type, (info = infoOf(type)));
      if (defines(type, key)) attributes.set(key, info);
      return info;
    },
    objectClass(nameOrOid) {
      const key = nameOrOid.toLowerCase();
      const known = classes.get(key);
      if (known) return known;
      const cls = schema.objectClass(nameOrOid);
      if (!cls) return undefined;
      let info = classInfos.get(cls);
      if (!info) {
        info = {
          name: cls.name,
          key: cls.name.toLowerCase(),
          oid: cls.oid,
          kind: cls.kind,
          lineage: [cls, ...cls.superclasses].map((c) => c.name.toLowerCase()),
          must: new Set(cls.must.map(keyOfType)),
          allowed: new Set([...cls.must, ...cls.may].map(keyOfType)),
        };
        classInfos.set(cls, info);
      }
      if (defines(cls, key)) classes.set(key, info);
      return info;
    },
    checkEntry(objectClasses, entryAttributes) {
      const problem = schema.checkEntry([...objectClasses], entryAttributes)[0];
      return problem && { code: problem.resultCode, message: problem.message };
    },
    descriptions: {
      attributeTypes: subschema.attributeTypes,
      objectClasses: subschema.objectClasses,
      ldapSyntaxes: subschema.ldapSyntaxes,
      matchingRules: subschema.matchingRules,
      matchingRuleUse: subschema.matchingRuleUse,
    },
  };
}
