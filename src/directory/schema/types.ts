/**
 * The schema model: definitions exactly as RFC 4512 describes them, and the statements of
 * an OpenLDAP-style schema file. Definitions hold what was written (names as written,
 * numeric OIDs with macros expanded); resolution against each other happens in
 * {@link Schema}.
 *
 * @packageDocumentation
 */

/** RFC 4512 §4.1.2 attribute usage. `userApplications` is the default. */
export type AttributeUsage = 'userApplications' | 'directoryOperation' | 'distributedOperation' | 'dSAOperation';

/** RFC 4512 §4.1.1 kind of object class. `STRUCTURAL` is the default. */
export type ObjectClassKind = 'ABSTRACT' | 'STRUCTURAL' | 'AUXILIARY';

/**
 * `X-` extensions of a description, in the order written: name (as written, e.g.
 * `X-ORIGIN`) to its quoted strings.
 */
export type Extensions = Readonly<Record<string, readonly string[]>>;

/** An RFC 4512 AttributeTypeDescription. */
export interface AttributeTypeDefinition {
  /** Numeric OID. */
  readonly oid: string;
  /** Short names (descriptors), first is the primary one; may be empty. */
  readonly names: readonly string[];
  readonly desc?: string | undefined;
  readonly obsolete: boolean;
  /** Direct supertype: a name or numeric OID as written. */
  readonly sup?: string | undefined;
  /** Matching rules as written (name or OID); absent means inherited from `sup` or none. */
  readonly equality?: string | undefined;
  readonly ordering?: string | undefined;
  readonly substr?: string | undefined;
  /** Syntax OID; absent means inherited from `sup`. */
  readonly syntax?: string | undefined;
  /** The suggested minimum upper bound written as `{len}` after the syntax OID. */
  readonly syntaxLength?: number | undefined;
  readonly singleValue: boolean;
  readonly collective: boolean;
  readonly noUserModification: boolean;
  readonly usage: AttributeUsage;
  readonly extensions: Extensions;
}

/** An RFC 4512 ObjectClassDescription. */
export interface ObjectClassDefinition {
  readonly oid: string;
  readonly names: readonly string[];
  readonly desc?: string | undefined;
  readonly obsolete: boolean;
  /** Direct superclasses as written. */
  readonly sup: readonly string[];
  readonly kind: ObjectClassKind;
  /** Required attribute types as written (not including inherited ones). */
  readonly must: readonly string[];
  /** Allowed attribute types as written (not including inherited ones). */
  readonly may: readonly string[];
  readonly extensions: Extensions;
}

/** An RFC 4512 SyntaxDescription (`ldapSyntaxes` value). */
export interface LdapSyntaxDefinition {
  readonly oid: string;
  readonly desc?: string | undefined;
  readonly extensions: Extensions;
}

/** An RFC 4512 MatchingRuleDescription. */
export interface MatchingRuleDefinition {
  readonly oid: string;
  readonly names: readonly string[];
  readonly desc?: string | undefined;
  readonly obsolete: boolean;
  /** OID of the assertion syntax. */
  readonly syntax: string;
  readonly extensions: Extensions;
}

/** An RFC 4512 MatchingRuleUseDescription (computed for cn=Subschema, or read from a server). */
export interface MatchingRuleUseDefinition {
  /** OID of the matching rule. */
  readonly oid: string;
  readonly names: readonly string[];
  readonly desc?: string | undefined;
  readonly obsolete: boolean;
  /** Attribute types (names or OIDs) the rule applies to. */
  readonly applies: readonly string[];
  readonly extensions: Extensions;
}

/** Where a statement starts: file name as given to the parser, 1-based line. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** One directive of a schema file, with where it was written. */
export type SchemaStatement =
  | { readonly kind: 'attributeType'; readonly definition: AttributeTypeDefinition; readonly source: SourceLocation }
  | { readonly kind: 'objectClass'; readonly definition: ObjectClassDefinition; readonly source: SourceLocation }
  | { readonly kind: 'ldapSyntax'; readonly definition: LdapSyntaxDefinition; readonly source: SourceLocation }
  | { readonly kind: 'matchingRule'; readonly definition: MatchingRuleDefinition; readonly source: SourceLocation }
  | { readonly kind: 'objectIdentifier'; readonly name: string; readonly oid: string; readonly source: SourceLocation };

/** A parsed schema file. */
export interface SchemaDocument {
  readonly file: string;
  readonly statements: readonly SchemaStatement[];
  /**
   * OID macros (`objectidentifier`) in force after this file: those passed in plus those
   * it defines, keyed by lower-cased name. Pass them to the next file, as slapd does.
   */
  readonly macros: ReadonlyMap<string, string>;
}
