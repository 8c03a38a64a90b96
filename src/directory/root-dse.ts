/**
 * The entries no one stores: the root DSE (RFC 4512 §5.1) and the subschema subentry
 * (RFC 4512 §4.2), built from the configuration and the schema.
 */
import { toGeneralizedTime } from '../sdp/time.js';
import type { DirectoryContext } from './context.js';

/** What the protocol layer implements, for the root DSE. */
export interface ProtocolFeatures {
  controls: readonly string[];
  saslMechanisms: readonly string[];
  extensions: readonly string[];
  features: readonly string[];
}

/** DN of the subschema subentry. */
export const SUBSCHEMA_DN = 'cn=Subschema';

/** Attributes of the root DSE, by key. */
export function rootDse(ctx: DirectoryContext, features: ProtocolFeatures): Record<string, string[]> {
  return {
    objectclass: ['top', 'extensibleObject'],
    namingcontexts: [ctx.options.suffix],
    subschemasubentry: [SUBSCHEMA_DN],
    supportedldapversion: ['3'],
    supportedcontrol: [...features.controls],
    supportedextension: [...features.extensions],
    supportedfeatures: [...features.features],
    supportedsaslmechanisms: [...features.saslMechanisms],
    vendorname: ['Rendezvous'],
    vendorversion: [ctx.options.vendorVersion],
    dynamicsubtrees: [`ou=dynamic,${ctx.options.suffix}`, `ou=applications,${ctx.options.suffix}`],
  };
}

/**
 * Attributes of cn=Subschema, by key. The timestamps stay fixed for a given schema so that
 * browsers that cache the schema (Apache Directory Studio) do not reload it needlessly.
 */
export function subschema(ctx: DirectoryContext, schemaTime: Date): Record<string, string[]> {
  const d = ctx.schema.descriptions;
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
