/**
 * A stand-in for the protocol's attribute encoding in store tests: the store treats the
 * bytes as opaque, so JSON in a buffer serves, and counts its decodes. The wire tests cover
 * the real encoding (src/ldap/protocol.ts through the directory).
 */
import type { AttributeEncoding, StoredAttributes } from '../../src/store/index.js';

/** Attributes as the stand-in stores them. */
export const bytesOf = (attributes: StoredAttributes): Buffer => Buffer.from(JSON.stringify(attributes), 'utf8');

/** The stand-in encoding, with the number of decodes it made since `decodes.reset()`. */
export function standInEncoding(): AttributeEncoding & { decodes: number } {
  const encoding = {
    decodes: 0,
    encode: bytesOf,
    decode: (encoded: Buffer): Record<string, string[]> => {
      encoding.decodes += 1;
      return JSON.parse(encoded.toString('utf8')) as Record<string, string[]>;
    },
  };
  return encoding;
}
