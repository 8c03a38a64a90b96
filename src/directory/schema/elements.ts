/**
 * Resolved schema elements: definitions linked to each other, with everything inherited
 * already worked out. Built by {@link Schema}; read-only for everyone else.
 *
 * @packageDocumentation
 */
import type {
  AttributeTypeDefinition,
  AttributeUsage,
  LdapSyntaxDefinition,
  MatchingRuleDefinition,
  ObjectClassDefinition,
  ObjectClassKind,
  SourceLocation,
} from './types.js';

/** An LDAP syntax. */
export interface LdapSyntax {
  readonly definition: LdapSyntaxDefinition;
  readonly oid: string;
  readonly description: string | undefined;
  readonly source: SourceLocation | undefined;
}

/** A matching rule. */
export interface MatchingRule {
  readonly definition: MatchingRuleDefinition;
  readonly oid: string;
  /** Primary name, or the OID when the rule has none. */
  readonly name: string;
  readonly names: readonly string[];
  /** Assertion syntax. */
  readonly syntax: LdapSyntax;
  readonly source: SourceLocation | undefined;
}

/**
 * The effective matching of an attribute type by rule NAMES and syntax OID: the shape the
 * value-matching code of src/directory consumes.
 */
export interface AttributeMatching {
  readonly equality: string | undefined;
  readonly ordering: string | undefined;
  readonly substr: string | undefined;
  readonly syntax: string;
}

/** An attribute type with its inheritance resolved (RFC 4512 4.1.2). */
export interface AttributeType {
  readonly definition: AttributeTypeDefinition;
  readonly oid: string;
  /** Primary name, or the OID when the type has none. */
  readonly name: string;
  readonly names: readonly string[];
  /** Direct supertype. */
  readonly superior: AttributeType | undefined;
  /** Effective syntax: own, else the supertype's. */
  readonly syntax: LdapSyntax;
  /** Effective `{len}` bound: own, else the supertype's. */
  readonly syntaxLength: number | undefined;
  /** Effective matching rules: own, else the supertype's. */
  readonly equality: MatchingRule | undefined;
  readonly ordering: MatchingRule | undefined;
  readonly substr: MatchingRule | undefined;
  /** The effective rules by name, for value matching. */
  readonly matching: AttributeMatching;
  readonly singleValue: boolean;
  readonly collective: boolean;
  readonly noUserModification: boolean;
  readonly obsolete: boolean;
  readonly usage: AttributeUsage;
  /** True for every usage but `userApplications`. */
  readonly operational: boolean;
  readonly source: SourceLocation | undefined;
}

/** An object class with its superclass chain resolved (RFC 4512 2.4, 4.1.1). */
export interface ObjectClass {
  readonly definition: ObjectClassDefinition;
  readonly oid: string;
  /** Primary name, or the OID when the class has none. */
  readonly name: string;
  readonly names: readonly string[];
  readonly kind: ObjectClassKind;
  readonly obsolete: boolean;
  /** Direct superclasses. */
  readonly superiors: readonly ObjectClass[];
  /** Every superclass, transitively, nearest first; not including the class itself. */
  readonly superclasses: readonly ObjectClass[];
  /** Required attributes, own and inherited, without duplicates. */
  readonly must: readonly AttributeType[];
  /** Allowed attributes, own and inherited, that are not also required. */
  readonly may: readonly AttributeType[];
  readonly source: SourceLocation | undefined;
}
