/**
 * The LDAP schema of Rendezvous: RFC 4512 descriptions in OpenLDAP schema-file syntax
 * (`schema/standard.schema`, `schema/rendezvous.schema`), parsed into typed definitions,
 * resolved into a {@link Schema} with lookups and entry checks, and rendered back for
 * cn=Subschema.
 *
 * ```ts
 * import { loadSchema } from './directory/schema/index.js';
 *
 * const schema = await loadSchema();
 * schema.attribute('sappid')?.name;                 // 'applicationID'
 * schema.checkEntry(['rtConference', 'dynamicObject'], { uid: ['Demo'], protocolID: ['IP Conference'] });  // []
 * schema.subschema().objectClasses;                 // values for cn=Subschema
 * ```
 *
 * @packageDocumentation
 */
export type {
  AttributeTypeDefinition,
  AttributeUsage,
  Extensions,
  LdapSyntaxDefinition,
  MatchingRuleDefinition,
  MatchingRuleUseDefinition,
  ObjectClassDefinition,
  ObjectClassKind,
  SchemaDocument,
  SchemaStatement,
  SourceLocation,
} from './types.js';
export type { AttributeMatching, AttributeType, LdapSyntax, MatchingRule, ObjectClass } from './elements.js';
export { SchemaError, SchemaParseError, formatSchemaProblem, type SchemaProblem } from './errors.js';
export {
  isDescriptor,
  isNumericOid,
  parseAttributeTypeDescription,
  parseLdapSyntaxDescription,
  parseMatchingRuleDescription,
  parseMatchingRuleUseDescription,
  parseObjectClassDescription,
  parseSchemaFile,
  type ParseOptions,
} from './parser.js';
export {
  quoteDString,
  renderAttributeType,
  renderLdapSyntax,
  renderMatchingRule,
  renderMatchingRuleUse,
  renderObjectClass,
} from './render.js';
export { Schema, type AllowedAttributes, type SchemaSource } from './schema.js';
export {
  checkEntry,
  resolveObjectClasses,
  splitAttributeDescription,
  type CheckEntryOptions,
  type EntryAttributes,
  type EntryProblem,
  type EntryProblemKind,
  type ObjectClassSet,
  type SchemaLookup,
} from './entry-check.js';
export { subschemaValues, type SubschemaOptions, type SubschemaSource, type SubschemaValues } from './subschema.js';
export {
  DEFAULT_SCHEMA_FILES,
  RENDEZVOUS_SCHEMA_FILE,
  SCHEMA_DIRECTORY,
  STANDARD_SCHEMA_FILE,
  loadSchema,
  loadSchemaSync,
} from './loader.js';
