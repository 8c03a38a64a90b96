/**
 * The subschema subentry (RFC 4512 §4.2), `cn=Subschema`: the schema as clients read it,
 * built from the resolved schema's descriptions. No one stores it.
 */
import { toGeneralizedTime } from '../../sdp/time.js';
import type { SchemaAccess } from './schema-access.js';

/** DN of the subschema subentry. */
export const SUBSCHEMA_DN = 'cn=Subschema';

/**
 * Attributes of cn=Subschema, by key. The timestamps stay fixed for a given schema so that
 * browsers that cache the schema (Apache Directory Studio) do not reload it needlessly.
 */
export function subschemaEntry(schema: SchemaAccess, schemaTime: Date): Record<string, string[]> {
  const d = schema.descriptions;
  return {
    objectclass: ['top', 'subentry', 'subschema', 'extensibleObject'],
    cn: ['Subschema'],
    structuralobjectclass: ['subentry'],
    createtimestamp: [toGeneralizedTime(schemaTime)],
    modifytimestamp: [toGeneralizedTime(schemaTime)],
    entrydn: [SUBSCHEMA_DN],
    subschemasubentry: [SUBSCHEMA_DN],
    attributetypes: [...d.attributeTypes],
    objectclasses: [...d.objectClasses],
    ldapsyntaxes: [...d.ldapSyntaxes],
    matchingrules: [...d.matchingRules],
    matchingruleuse: [...d.matchingRuleUse],
  };
}
