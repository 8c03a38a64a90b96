/**
 * Normalised names: DNs compared case-insensitively per their attributes' matching rules,
 * parents, and the subtree path the store indexes.
 */
import { entryPath } from '../../store/index.js';
import { formatDn, parseDn, type Dn } from './dn.js';
import { OperationError, ResultCode } from '../errors.js';
import { normalize } from './matching.js';
import type { SchemaAccess } from '../schema/schema-access.js';

/** A DN with its normal forms. */
export interface Name {
  /** The DN as parsed, most specific RDN first (after mapping an ILS pseudo-DN). */
  readonly dn: Dn;
  /** The DN as the client wrote it, or the real DN an ILS pseudo-DN stands for. */
  readonly text: string;
  /** Normal form: `type=value` with canonical lower-case types and normalised values. */
  readonly ndn: string;
  /** Normal form of the parent ('' for a top-level entry or the root). */
  readonly parent: string;
  /** The store's subtree path of the entry (`entryPath`): its normalised RDNs from the root down. */
  readonly path: string;
}

/** Escapes what separates RDNs in the normal form, so distinct DNs never collide. */
const escapeNormal = (value: string): string => value.replace(/[\\,+=\u0001]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/**
 * The normal form of the parent of a normal form ('' for a top-level entry): its tail after
 * the first separator, as a comma inside a value is escaped there.
 */
export function parentNdn(ndn: string): string {
  const at = ndn.indexOf(',');
  return at === -1 ? '' : ndn.slice(at + 1);
}

/** How many names each of the caches (names parsed, texts seen once) holds at most. */
const CACHE_NAMES = 4096;

/**
 * How many characters of DN text each cache holds at most. A name kept holds its text about
 * five times over (as written, its AVAs, its normal form, its parent's, its path), so the
 * parsed names take a few MiB of heap at most, whatever clients send. Counted in names only,
 * 4,096 DNs of 8 KiB held about 200 MB (and before DNs had a length limit, a hundred 1 MiB
 * search bases left a worker 453 MB larger).
 */
const CACHE_CHARS = 256 * 1024;

/** Values by DN text, at most {@link CACHE_NAMES} of them and {@link CACHE_CHARS} characters of text: a full cache starts over (no LRU upkeep). */
class TextCache<V> {
  readonly #values = new Map<string, V>();
  #chars = 0;

  get(text: string): V | undefined {
    return this.#values.get(text);
  }

  has(text: string): boolean {
    return this.#values.has(text);
  }

  set(text: string, value: V): void {
    if (this.#values.size >= CACHE_NAMES || this.#chars + text.length > CACHE_CHARS) {
      this.#values.clear();
      this.#chars = 0;
    }
    this.#values.set(text, value);
    this.#chars += text.length;
  }
}

/** Normalises DNs against the schema. */
export class Names {
  readonly #schema: SchemaAccess;
  readonly #suffix: string;

  constructor(schema: SchemaAccess, suffix: string) {
    this.#schema = schema;
    this.#suffix = suffix;
  }

  /**
   * The real DN of a NetMeeting pseudo-DN ([MS-TAIL] §3.5.3, §3.5.4, §4.1.2): `c=-,o=Microsoft,
   * cn=<email>,objectClass=rtPerson` names `cn=<email>,ou=Dynamic,<suffix>`. Recognised by an
   * objectClass RDN at the root, which no real DN here has.
   */
  #ilsPseudoDn(dn: Dn): Dn | undefined {
    const root = dn.at(-1);
    if (root?.length !== 1 || this.#schema.attribute(root[0]!.type)?.key !== 'objectclass') return undefined;
    const naming = dn.find((rdn) => rdn.length === 1 && ['cn', 'uid'].includes(this.#schema.attribute(rdn[0]!.type)?.key ?? ''));
    return naming ? [naming, ...parseDn(`ou=Dynamic,${this.#suffix}`)] : undefined;
  }

  /**
   * The object class a NetMeeting class base names: the DN `objectClass=rtPerson` alone, the
   * base of its refresh and find-user searches ([MS-TAIL] §3.5.11, §4.2.2, §4.3.2), stands for
   * the entries of that class in `ou=Dynamic` (see operations/search.ts). Undefined for
   * any other DN, including one that does not parse (the search refuses it as it would).
   */
  ilsClassBase(text: string): string | undefined {
    if (!/^\s*objectclass\s*=/i.test(text)) return undefined;
    let dn: Dn;
    try {
      dn = parseDn(text);
    } catch {
      return undefined;
    }
    const ava = dn.length === 1 && dn[0]!.length === 1 ? dn[0]![0]! : undefined;
    return ava && this.#schema.attribute(ava.type)?.key === 'objectclass' ? ava.value : undefined;
  }

  /** The normal form of each RDN, most specific first. */
  #normalRdns(dn: Dn, text: string): string[] {
    return dn.map((rdn) =>
      rdn
        .map((ava) => {
          const attr = this.#schema.attribute(ava.type);
          if (!attr) throw new OperationError(ResultCode.invalidDNSyntax, `invalid DN '${text}': unknown attribute type '${ava.type}'`);
          const value = ava.value.startsWith('#') ? ava.value.toLowerCase() : normalize(attr.rules, ava.value);
          if (value === undefined || value === '') {
            throw new OperationError(ResultCode.invalidDNSyntax, `invalid DN '${text}': '${ava.value}' is not a valid ${attr.name}`);
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
   * @throws {@link OperationError} invalidDNSyntax.
   */
  parse(text: string): Name {
    let name = this.#parsed.get(text);
    if (name) return name;
    name = this.#parse(text);
    for (const rdn of name.dn) for (const ava of rdn) Object.freeze(ava);
    for (const rdn of name.dn) Object.freeze(rdn);
    Object.freeze(name.dn);
    Object.freeze(name);
    // Clients repeat the same few bases and DNs, and name most entries they write once: a
    // name is kept the second time it is asked for. Kept the first time, the DN of every
    // write lived long enough to become old-generation garbage in the writing process (most
    // of what it held between collections under refresh).
    if (this.#seen.has(text)) this.#parsed.set(text, name);
    else this.#seen.set(text, true);
    return name;
  }

  /** Names parsed before, by their text; frozen, as they are shared. */
  readonly #parsed = new TextCache<Name>();

  /** Texts asked for once (and not kept yet). */
  readonly #seen = new TextCache<true>();

  #parse(text: string): Name {
    const written = parseDn(text);
    const mapped = this.#ilsPseudoDn(written);
    const dn = mapped ?? written;
    const rdns = this.#normalRdns(dn, text);
    return {
      dn,
      text: mapped ? formatDn(mapped) : text,
      ndn: rdns.join(','),
      parent: rdns.slice(1).join(','),
      path: entryPath(rdns),
    };
  }

  /** The normal form of a DN, for DN-syntax attribute values. */
  normalizeDn = (text: string): string => this.parse(text).ndn;
}
