/**
 * A person in the directory (TAPI's ITDirectoryObjectUser): an `rtPerson` entry.
 *
 * TAPI named a user's entry `cn=<user>]<host>`, the host being the user's primary IP phone,
 * which is why put_IPPhonePrimary works only before the user is added ("the user must be
 * deleted and re-added"): the phone is part of the name. This library keeps that layout.
 */
import { isIPv4 } from 'node:net';
import type { AttributeValue, EntryReader } from './entry.js';
import { fromIlsAddress, toIlsAddress } from './ils-address.js';
import {
  DirectoryObject,
  ENCODE,
  RDN,
  SECURITY_DESCRIPTOR,
  type DialableAddressType,
  type EncodedObject,
  type ObjectSchema,
} from './object.js';

/** TAPI's separator between the user name and the IP phone host in `cn`. */
const PHONE_SEPARATOR = ']';

/** The optional person attributes, by property, with the attribute each is stored in. */
const PERSON_ATTRIBUTES = {
  email: 'mail',
  givenName: 'givenName',
  surname: 'sn',
  location: 'location',
  comment: 'comment',
} as const;

type PersonProperty = keyof typeof PERSON_ATTRIBUTES;

/** Other names servers use for the same attributes (ILS wire names, RFC 1274 names). */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  ipAddress: ['ipAddress', 'sIPAddress'],
  mail: ['mail', 'rfc822Mailbox'],
  sn: ['sn', 'surname'],
};

/** How users are stored: `cn=<name>[]<host>],<container>`, objectClass rtPerson. */
export const USER_SCHEMA: ObjectSchema = {
  objectClass: 'rtPerson',
  rdnAttribute: 'cn',
  attributes: ['cn', 'ipAddress', ...Object.values(PERSON_ATTRIBUTES), SECURITY_DESCRIPTOR],
  binaryAttributes: [SECURITY_DESCRIPTOR],
};

/** What a user is made of; everything but the name is optional. */
export interface UserOptions {
  name: string;
  /** Host name of the user's primary IP phone (becomes part of the entry name). */
  ipPhonePrimary?: string;
  /** Dotted IPv4 addresses. */
  ipAddresses?: readonly string[];
  /** `mail` (rfc822Mailbox). */
  email?: string;
  givenName?: string;
  /** `sn` */
  surname?: string;
  location?: string;
  comment?: string;
  securityDescriptor?: Buffer;
}

function checkAddresses(addresses: readonly string[]): string[] {
  const bad = addresses.find((a) => !isIPv4(a));
  if (bad !== undefined) throw new TypeError(`'${bad}' is not an IPv4 address (ILS stores IPv4 only)`);
  return [...addresses];
}

function checkName(name: string, what: string): string {
  if (name === '') throw new TypeError(`${what} is empty`);
  if (name.includes(PHONE_SEPARATOR)) throw new TypeError(`${what} cannot contain '${PHONE_SEPARATOR}', which separates the user from the phone in the entry name`);
  return name;
}

/**
 * A user: a name, the IP addresses to call them at, and a few details.
 *
 * @example
 * ```ts
 * const alice = new User({ name: 'alice', ipAddresses: ['10.70.41.96'], email: 'alice@example.org' });
 * await directory.add(alice); // stored as ipAddress: 1613317642, the ILS encoding
 * ```
 */
export class User extends DirectoryObject {
  readonly type = 'user' as const;
  email: string | undefined;
  givenName: string | undefined;
  surname: string | undefined;
  location: string | undefined;
  comment: string | undefined;
  #name: string;
  #ipPhonePrimary: string | undefined;
  #ipAddresses: string[];

  /** @throws TypeError for an empty name, a name or phone with `]`, or an address that is not IPv4. */
  constructor(options: UserOptions) {
    super();
    this.#name = checkName(options.name, 'the user name');
    this.#ipPhonePrimary = options.ipPhonePrimary === undefined ? undefined : checkName(options.ipPhonePrimary, 'the IP phone');
    this.#ipAddresses = checkAddresses(options.ipAddresses ?? []);
    for (const property of Object.keys(PERSON_ATTRIBUTES) as PersonProperty[]) this[property] = options[property];
    this.securityDescriptor = options.securityDescriptor;
  }

  /** A user as a search returned it (library-internal). */
  static fromEntry(entry: EntryReader): User {
    const cn = entry.text('cn') ?? '';
    const at = cn.lastIndexOf(PHONE_SEPARATOR);
    const user = new User({ name: 'placeholder' });
    // Entries other clients made (NetMeeting's cn=<email>) have no phone part: the cn is the name.
    user.#name = at < 0 ? cn : cn.slice(0, at);
    user.#ipPhonePrimary = at < 0 ? undefined : cn.slice(at + 1);
    user.#ipAddresses = entry
      .texts(...ALIASES.ipAddress!)
      .map((v) => fromIlsAddress(v) ?? (isIPv4(v) ? v : undefined))
      .filter((v): v is string => v !== undefined);
    const stored = new Map<string, AttributeValue[]>([
      ['cn', [cn]],
      ['ipAddress', entry.texts(...ALIASES.ipAddress!)],
    ]);
    for (const [property, attribute] of Object.entries(PERSON_ATTRIBUTES) as [PersonProperty, string][]) {
      const values = entry.texts(...(ALIASES[attribute] ?? [attribute]));
      user[property] = values[0];
      stored.set(attribute, values);
    }
    user.adopt(entry, stored);
    return user;
  }

  /** The user's name. It can be changed only before the user is added. */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    this.assertUnstored('the user name');
    this.#name = checkName(value, 'the user name');
  }

  /** Host name of the primary IP phone. It can be changed only before the user is added. */
  get ipPhonePrimary(): string | undefined {
    return this.#ipPhonePrimary;
  }

  set ipPhonePrimary(value: string | undefined) {
    this.assertUnstored('the IP phone');
    this.#ipPhonePrimary = value === undefined ? undefined : checkName(value, 'the IP phone');
  }

  /** Dotted IPv4 addresses (a copy; assign a new list to change them). */
  get ipAddresses(): readonly string[] {
    return [...this.#ipAddresses];
  }

  /** @throws TypeError when an address is not IPv4. */
  set ipAddresses(value: readonly string[]) {
    this.#ipAddresses = checkAddresses(value);
  }

  /** `ipAddress`: the IPv4 addresses; `domainName`: the IP phone host. */
  dialableAddresses(type: DialableAddressType): string[] {
    if (type === 'ipAddress') return [...this.#ipAddresses];
    if (type === 'domainName') return this.#ipPhonePrimary === undefined ? [] : [this.#ipPhonePrimary];
    return [];
  }

  [RDN](): string {
    return this.#ipPhonePrimary === undefined ? this.#name : `${this.#name}${PHONE_SEPARATOR}${this.#ipPhonePrimary}`;
  }

  [ENCODE](): EncodedObject {
    const rdn = this[RDN]();
    const attributes = new Map<string, AttributeValue[]>([
      ['cn', [rdn]],
      ['ipAddress', this.#ipAddresses.map(toIlsAddress)],
    ]);
    for (const [property, attribute] of Object.entries(PERSON_ATTRIBUTES) as [PersonProperty, string][]) {
      const value = this[property];
      attributes.set(attribute, value === undefined || value === '' ? [] : [value]);
    }
    attributes.set(SECURITY_DESCRIPTOR, this.securityAttribute());
    return { schema: USER_SCHEMA, rdn, attributes };
  }
}
