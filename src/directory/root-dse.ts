/**
 * The root DSE (RFC 4512 §5.1): what the server holds and implements, built from the
 * configuration and what the protocol layer declares. No one stores it.
 */
import type { DirectoryTreeOptions } from './context.js';
import { SUBSCHEMA_DN } from './schema/subschema-entry.js';

/** What the protocol layer implements, for the root DSE. */
export interface ProtocolFeatures {
  controls: readonly string[];
  saslMechanisms: readonly string[];
  extensions: readonly string[];
  features: readonly string[];
}

/** Attributes of the root DSE, by key. */
export function rootDse(options: DirectoryTreeOptions, features: ProtocolFeatures): Record<string, string[]> {
  return {
    objectclass: ['top', 'extensibleObject'],
    namingcontexts: [options.suffix],
    subschemasubentry: [SUBSCHEMA_DN],
    supportedldapversion: ['3'],
    supportedcontrol: [...features.controls],
    supportedextension: [...features.extensions],
    supportedfeatures: [...features.features],
    supportedsaslmechanisms: [...features.saslMechanisms],
    vendorname: ['Rendezvous'],
    vendorversion: [options.vendorVersion],
    dynamicsubtrees: [`ou=dynamic,${options.suffix}`, `ou=applications,${options.suffix}`],
  };
}
