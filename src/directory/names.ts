/**
 * Normalised names: DNs compared case-insensitively per their attributes' matching rules,
 * parents, and the subtree path the store indexes.
 */
import { PATH_SEPARATOR } from '../store/entries.js';
import { parseDn, type Dn } from './dn.js';
import { DirectoryError, ResultCode } from './errors.js';
import { normalize } from './matching.js';
import type { SchemaAccess } from './schema-access.js';

/** A DN with its normal forms. */
export interface Name {
  /** The DN as parsed, most specific RDN first. */
  readonly dn: Dn;
  /** Normal form: `type=value` with canonical lower-case types and normalised values. */
  readonly ndn: string;
  /** Normal form of the parent ('' for a top-level entry or the root). */
  readonly parent: string;
  /** Normalised RDNs from the root down, joined by U+0001, for subtree ranges. */
  readonly path: string;
}

/** Escapes what separates RDNs in the normal form, so distinct DNs never collide. */
const escapeNormal = (value: string): string => value.replace(/[\\,+=\u0001]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Normalises DNs against the schema. */
export class Names {
  readonly #schema: SchemaAccess;

  constructor(schema: SchemaAccess) {
    this.#schema = schema;
  }

  /** The normal form of each RDN, most specific first. */
  #normalRdns(dn: Dn, text: string): string[] {
    return dn.map((rdn) =>
      rdn
        .map((ava) => {
          const attr = this.#schema.attribute(ava.type);
          if (!attr) throw new DirectoryError(ResultCode.invalidDNSyntax, `invalid DN '${text}': unknown attribute type '${ava.type}'`);
          const value = ava.value.startsWith('#') ? ava.value.toLowerCase() : normalize(attr.rules, ava.value);
          if (value === undefined || value === '') {
            throw new DirectoryError(ResultCode.invalidDNSyntax, `invalid DN '${text}': '${ava.value}' is not a valid ${attr.name}`);
          }
          return `${attr.key}=${escapeNormal(value)}`;
        })
        .sort()
        .join('+'),
    );
  }

  /**
   * Parses and normalises a DN.
   *
   * @throws {@link DirectoryError} invalidDNSyntax.
   */
  parse(text: string): Name {
    const dn = parseDn(text);
    const rdns = this.#normalRdns(dn, text);
    return {
      dn,
      ndn: rdns.join(','),
      parent: rdns.slice(1).join(','),
      path: [...rdns].reverse().join(PATH_SEPARATOR),
    };
  }

  /** The normal form of a DN, for DN-syntax attribute values. */
  normalizeDn = (text: string): string => this.parse(text).ndn;
}
