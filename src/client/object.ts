/**
 * What conferences and users have in common (TAPI's ITDirectoryObject): a type, a name, a
 * security descriptor, dialable addresses, and, once stored, the DN and the attributes last
 * written or read, so that a modify sends only what changed.
 */
import type { AttributeMap, AttributeValue, EntryReader } from './entry.js';

/** TAPI's DIRECTORY_OBJECT_TYPE: OT_CONFERENCE, OT_USER. */
export type DirectoryObjectType = 'conference' | 'user';

/**
 * TAPI's LINEADDRESSTYPE_* for get_DialableAddrs: the SDP of a conference, the IPv4
 * addresses of a user, or the host name of a user's primary IP phone.
 */
export type DialableAddressType = 'sdp' | 'ipAddress' | 'domainName';

/** How an object class is named and stored under the container. */
export interface ObjectSchema {
  /** The structural object class, `rtConference` or `rtPerson`. */
  readonly objectClass: string;
  /** The naming attribute, `uid` or `cn`. */
  readonly rdnAttribute: string;
  /** Attributes a search asks for. */
  readonly attributes: readonly string[];
  /** Attributes to read as bytes. */
  readonly binaryAttributes: readonly string[];
}

/** The security descriptor attribute of every ILS class: binary and opaque here. */
export const SECURITY_DESCRIPTOR = 'ntSecurityDescriptor';

/**
 * Library-internal access to an object's stored state and encoding (symbols, so they are
 * not part of the public shape and cannot collide with application properties).
 */
export const STORED = Symbol('rendezvous.stored');
/** See {@link STORED}. */
export const ENCODE = Symbol('rendezvous.encode');
/** See {@link STORED}. */
export const RDN = Symbol('rendezvous.rdn');

/** An object as an entry: how its class is stored, its naming value and its attributes. */
export interface EncodedObject {
  readonly schema: ObjectSchema;
  /** The naming attribute's value. */
  readonly rdn: string;
  /** The attributes to write, objectClass excluded, naming attribute included. */
  readonly attributes: Map<string, AttributeValue[]>;
}

/** Where an object lives and what the directory holds for it. */
export interface StoredState {
  readonly dn: string;
  /** The attributes (objectClass excluded) as last written or read. */
  readonly attributes: AttributeMap;
}

/** A conference or a user, stored in a directory or not yet. */
export abstract class DirectoryObject {
  /** `conference` or `user`. */
  abstract readonly type: DirectoryObjectType;
  /** Opaque Windows security descriptor (`ntSecurityDescriptor`), written as given. */
  securityDescriptor: Buffer | undefined;
  [STORED]: StoredState | undefined;

  /** The DN once the object has been added to or read from a directory. */
  get dn(): string | undefined {
    return this[STORED]?.dn;
  }

  /** The name the object is known by in the directory (the value of its naming attribute). */
  abstract get name(): string;

  /** The addresses to dial this object by, for one address type; empty when it has none of that type. */
  abstract dialableAddresses(type: DialableAddressType): string[];

  /** The object as an entry (library-internal); a conference's blob is checked and its version raised if it changed. */
  abstract [ENCODE](): EncodedObject;

  /** The naming attribute's value (library-internal), without encoding anything else. */
  abstract [RDN](): string;

  /**
   * Refuses to change what names a stored entry: ILS has no ModifyDN (TAPI: "the user must
   * be deleted and re-added").
   */
  protected assertUnstored(what: string): void {
    if (this[STORED]) throw new TypeError(`${what} names the entry ${this[STORED].dn}; delete it and add it again to change it`);
  }

  /**
   * Takes what a search returned: the security descriptor, and the attributes read (by
   * name as the library writes them) as the stored state.
   */
  protected adopt(entry: EntryReader, attributes: Map<string, AttributeValue[]>): void {
    this.securityDescriptor = entry.bytes(SECURITY_DESCRIPTOR);
    attributes.set(SECURITY_DESCRIPTOR, this.securityAttribute());
    this[STORED] = { dn: entry.dn, attributes };
  }

  /** The descriptor as an attribute list. */
  protected securityAttribute(): AttributeValue[] {
    return this.securityDescriptor ? [this.securityDescriptor] : [];
  }
}
