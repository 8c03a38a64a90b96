/**
 * The MADCAP wire format (RFC 2730 §2.1 and §3): an 8-byte header (version 0, message type,
 * IANA address family, xid) then options of 2-byte code, 2-byte length and value, ended by
 * End. Pure functions: datagrams in, typed messages out, and back. Untrusted bytes are read
 * here once; everything past this module works with {@link MadcapMessage}. Where the wire form
 * is awkward to work with (a List of Address Ranges is start address and block size), the
 * typed form is the convenient one (first and last address) and the conversion happens here.
 */
import { ADDRESS_LENGTH, addressBytes, bytesToValue, familyOfNumber, FAMILY_NUMBER, formatAddress, parseAddress, type Family } from './address.js';

/** Message types (RFC 2730 §2.2, IANA "MADCAP Message Types"). */
export const MESSAGE_TYPE = { DISCOVER: 1, OFFER: 2, REQUEST: 3, RENEW: 4, ACK: 5, NAK: 6, RELEASE: 7, GETINFO: 8 } as const;
export type MessageType = keyof typeof MESSAGE_TYPE;
const TYPE_NAMES = new Map<number, MessageType>(Object.entries(MESSAGE_TYPE).map(([k, v]) => [v, k as MessageType]));

/** Option codes (RFC 2730 §3: §3.1 End to §3.17 Error, in code order; IANA "MADCAP Options"). */
export const OPTION = {
  end: 0,
  leaseTime: 1,
  serverIdentifier: 2,
  leaseIdentifier: 3,
  multicastScope: 4,
  optionRequestList: 5,
  startTime: 6,
  addressesRequested: 7,
  requestedLanguage: 8,
  multicastScopeList: 9,
  addressRanges: 10,
  currentTime: 11,
  featureList: 12,
  retryTime: 13,
  minimumLeaseTime: 14,
  maximumStartTime: 15,
  error: 16,
} as const;

/** Error codes of the Error option (RFC 2730 §3.17.1–§3.17.5). */
export const ERROR_CODE = {
  validRequestCouldNotBeCompleted: 0,
  invalidRequest: 1,
  excessiveClockSkew: 2,
  leaseIdentifierNotRecognized: 3,
  requiredFeatureNotSupported: 4,
} as const;

/** Feature codes of the Feature List option (RFC 2730 §3.13). */
export const FEATURE = { serverMobility: 0, retryAfter: 1, sharedLeaseIdentifier: 2 } as const;

/**
 * The option code an Invalid Request or Valid Request Could Not Be Completed error names when
 * no one option is to blame (RFC 2730 §3.17.1–§3.17.2).
 */
export const NO_OPTION = 0xffff;

/**
 * The data of an Error option whose code names an offending option (codes 0 and 1, RFC 2730
 * §3.17.1–§3.17.2): that option's 2-octet code, or {@link NO_OPTION}.
 */
export function offendingOptionData(option: number = NO_OPTION): Buffer {
  return u16(option, 'offending option');
}

/**
 * The data of an Excessive Clock Skew error (code 2, RFC 2730 §3.17.3): a 4-octet time, the
 * server's current time in seconds since 1970 as in Current Time, from which the client can
 * tell how far off its clock is.
 */
export function clockSkewData(serverTime: number): Buffer {
  return u32(serverTime, 'server time');
}

/**
 * A range of consecutive addresses, inclusive, as canonical text. On the wire (RFC 2730
 * §3.11) a range is its start address and a 2-octet block size; a range of more than 65535
 * addresses is written as several.
 */
export interface AddressRange {
  first: string;
  last: string;
}

/** One name of a scope zone, in one language. */
export interface ZoneName {
  /** Language tag (RFC 1766), e.g. `en`. */
  language: string;
  name: string;
  /** The D flag: this is the scope's default name. */
  isDefault: boolean;
}

/** One scope of a Multicast Scope List option. */
export interface ScopeListEntry {
  /** Scope ID: the scope's first address. */
  id: string;
  last: string;
  ttl: number;
  names: ZoneName[];
}

/** The three lists of the Feature List option. */
export interface FeatureList {
  supported: number[];
  requested: number[];
  required: number[];
}

/** The options of a message, typed; absent when the message does not carry them. Times are Unix seconds. */
export interface MadcapOptions {
  leaseTime?: number;
  serverIdentifier?: { family: Family; address: string };
  /** The whole Lease Identifier value: type octet then identifier (opaque to the server). */
  leaseIdentifier?: Buffer;
  /** Scope ID of the scope the message is about. */
  multicastScope?: string;
  optionRequestList?: number[];
  startTime?: number;
  addressesRequested?: { minimum: number; desired: number };
  requestedLanguage?: string;
  multicastScopeList?: ScopeListEntry[];
  addressRanges?: AddressRange[];
  currentTime?: number;
  featureList?: FeatureList;
  retryTime?: number;
  minimumLeaseTime?: number;
  maximumStartTime?: number;
  error?: { code: number; data: Buffer };
}

/** A decoded MADCAP message. */
export interface MadcapMessage {
  type: MessageType;
  /** The family of the addresses the message carries (header `addrfamily`). */
  family: Family;
  /** Transaction identifier, an unsigned 32-bit number. */
  xid: number;
  options: MadcapOptions;
}

/** Why a datagram was not read, and whether it can still be answered with an Invalid Request NAK. */
export interface DecodeFailure {
  reason: string;
  /**
   * Present when the header and the Lease Identifier were readable, so that the sender can be
   * told Invalid Request (RFC 2730 §2.1 for a malformed message, §2.2 for an unknown message
   * type, whose number `type` then is). `option` is the code of the offending option.
   */
  answerable?: { type: MessageType | number; family: Family; xid: number; leaseIdentifier: Buffer; option?: number };
}

export type DecodeResult = { ok: true; message: MadcapMessage } | ({ ok: false } & DecodeFailure);

const HEADER_LENGTH = 8;
/** RFC 2730 §2.1: shorter messages (header + End) MUST be ignored. */
export const MIN_MESSAGE_LENGTH = 12;
const MAX_U16 = 0xffff;

/** Thrown inside option readers; becomes an Invalid Request. */
class OptionError extends Error {
  constructor(
    readonly option: number,
    message: string,
  ) {
    super(message);
  }
}

/** A cursor over an option value that refuses to read past its end. */
class Reader {
  #at = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly option: number,
    private readonly what: string,
  ) {}

  get left(): number {
    return this.bytes.length - this.#at;
  }

  take(n: number): Buffer {
    if (n > this.left) throw new OptionError(this.option, `${this.what}: ${n} more bytes needed, ${this.left} left`);
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  u8 = (): number => this.take(1)[0]!;
  u16 = (): number => this.take(2).readUInt16BE(0);

  end(): void {
    if (this.left !== 0) throw new OptionError(this.option, `${this.what}: ${this.left} unexpected trailing bytes`);
  }
}

const u32Option = (code: number, what: string) => (value: Buffer): number => {
  if (value.length !== 4) throw new OptionError(code, `${what}: length ${value.length}, expected 4`);
  return value.readUInt32BE(0);
};

function readAddress(r: Reader, family: Family): string {
  return formatAddress(family, bytesToValue(r.take(ADDRESS_LENGTH[family])));
}

function readU16List(value: Buffer, code: number, what: string, minimum: number): number[] {
  if (value.length % 2 !== 0 || value.length < minimum * 2) throw new OptionError(code, `${what}: length ${value.length} is not a list of at least ${minimum} 2-byte codes`);
  return Array.from({ length: value.length / 2 }, (_, i) => value.readUInt16BE(i * 2));
}

/**
 * A List of Address Ranges (RFC 2730 §3.11): entries of a start address and a 2-octet block
 * size (6 bytes each for IPv4, 18 for IPv6); the list may be empty (Retry After, §2.13.2).
 */
function readAddressRanges(value: Buffer, family: Family): AddressRange[] {
  const entry = ADDRESS_LENGTH[family] + 2;
  const code = OPTION.addressRanges;
  if (value.length % entry !== 0) throw new OptionError(code, `List of Address Ranges: length ${value.length} is not a list of ${entry}-byte entries (start address and block size)`);
  const top = (1n << BigInt(ADDRESS_LENGTH[family] * 8)) - 1n;
  const r = new Reader(value, code, 'List of Address Ranges');
  const ranges: AddressRange[] = [];
  while (r.left > 0) {
    const start = bytesToValue(r.take(ADDRESS_LENGTH[family]));
    const size = r.u16();
    if (size === 0) throw new OptionError(code, `List of Address Ranges: the range at ${formatAddress(family, start)} has block size 0`);
    const last = start + BigInt(size - 1);
    if (last > top) throw new OptionError(code, `List of Address Ranges: ${size} addresses from ${formatAddress(family, start)} run past the end of the address space`);
    ranges.push({ first: formatAddress(family, start), last: formatAddress(family, last) });
  }
  return ranges;
}

/** Reads every known option; unknown codes are ignored (RFC 2730 §3). */
function readOptions(raw: ReadonlyMap<number, Buffer>, family: Family): MadcapOptions {
  const o: MadcapOptions = {};
  const addressLength = ADDRESS_LENGTH[family];
  for (const [code, value] of raw) {
    switch (code) {
      case OPTION.leaseTime:
        o.leaseTime = u32Option(code, 'Lease Time')(value);
        break;
      case OPTION.serverIdentifier: {
        const r = new Reader(value, code, 'Server Identifier');
        const f = familyOfNumber(r.u16());
        if (!f) throw new OptionError(code, 'Server Identifier: unknown address family');
        o.serverIdentifier = { family: f, address: readAddress(r, f) };
        r.end();
        break;
      }
      case OPTION.leaseIdentifier:
        if (value.length < 1) throw new OptionError(code, 'Lease Identifier: empty');
        o.leaseIdentifier = Buffer.from(value);
        break;
      case OPTION.multicastScope:
        if (value.length !== addressLength) throw new OptionError(code, `Multicast Scope: length ${value.length}, expected ${addressLength}`);
        o.multicastScope = formatAddress(family, bytesToValue(value));
        break;
      case OPTION.optionRequestList:
        o.optionRequestList = readU16List(value, code, 'Option Request List', 1);
        break;
      case OPTION.startTime:
        o.startTime = u32Option(code, 'Start Time')(value);
        break;
      case OPTION.addressesRequested: {
        if (value.length !== 4) throw new OptionError(code, `Number of Addresses Requested: length ${value.length}, expected 4`);
        const minimum = value.readUInt16BE(0);
        const desired = value.readUInt16BE(2);
        if (minimum < 1 || minimum > desired) throw new OptionError(code, `Number of Addresses Requested: minimum ${minimum} and desired ${desired} are not 1 <= minimum <= desired`);
        o.addressesRequested = { minimum, desired };
        break;
      }
      case OPTION.requestedLanguage:
        o.requestedLanguage = value.toString('utf8');
        break;
      case OPTION.multicastScopeList: {
        const r = new Reader(value, code, 'Multicast Scope List');
        const count = r.u8();
        const entries: ScopeListEntry[] = [];
        for (let i = 0; i < count; i += 1) {
          const id = readAddress(r, family);
          const last = readAddress(r, family);
          const ttl = r.u8();
          const nameCount = r.u8();
          const names: ZoneName[] = [];
          for (let j = 0; j < nameCount; j += 1) {
            const flags = r.u8();
            const language = r.take(r.u8()).toString('utf8');
            const name = r.take(r.u8()).toString('utf8');
            names.push({ language, name, isDefault: (flags & 0x80) !== 0 });
          }
          entries.push({ id, last, ttl, names });
        }
        r.end();
        o.multicastScopeList = entries;
        break;
      }
      case OPTION.addressRanges:
        o.addressRanges = readAddressRanges(value, family);
        break;
      case OPTION.currentTime:
        o.currentTime = u32Option(code, 'Current Time')(value);
        break;
      case OPTION.featureList: {
        const r = new Reader(value, code, 'Feature List');
        const list = (): number[] => Array.from({ length: r.u16() }, () => r.u16());
        o.featureList = { supported: list(), requested: list(), required: list() };
        r.end();
        break;
      }
      case OPTION.retryTime:
        o.retryTime = u32Option(code, 'Retry Time')(value);
        break;
      case OPTION.minimumLeaseTime:
        o.minimumLeaseTime = u32Option(code, 'Minimum Lease Time')(value);
        break;
      case OPTION.maximumStartTime:
        o.maximumStartTime = u32Option(code, 'Maximum Start Time')(value);
        break;
      case OPTION.error:
        if (value.length < 2) throw new OptionError(code, `Error: length ${value.length}, at least 2 expected`);
        o.error = { code: value.readUInt16BE(0), data: Buffer.from(value.subarray(2)) };
        break;
      default:
        break;
    }
  }
  return o;
}

/**
 * Reads a datagram. Never throws: anything malformed comes back as a failure with its reason.
 * Framing problems (too short, version not 0, options running past the end, no End option)
 * make the datagram unanswerable (RFC 2730 §2.1); an unknown message type (§2.2) or a problem
 * inside a well-framed message that carries a Lease Identifier can be answered with an
 * Invalid Request NAK.
 */
export function decodeMessage(datagram: Uint8Array): DecodeResult {
  const buf = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (buf.length < MIN_MESSAGE_LENGTH) return { ok: false, reason: `${buf.length} bytes, shorter than the ${MIN_MESSAGE_LENGTH} of a header and End option` };
  if (buf[0] !== 0) return { ok: false, reason: `version ${buf[0]}, not 0` };
  const typeNumber = buf[1]!;
  const type = TYPE_NAMES.get(typeNumber);
  const familyNumber = buf.readUInt16BE(2);
  const xid = buf.readUInt32BE(4);
  const raw = new Map<number, Buffer>();
  let duplicate: number | undefined;
  let at = HEADER_LENGTH;
  let ended = false;
  while (at + 4 <= buf.length) {
    const code = buf.readUInt16BE(at);
    const length = buf.readUInt16BE(at + 2);
    at += 4;
    if (code === OPTION.end) {
      if (length !== 0) return { ok: false, reason: `End option with length ${length}` };
      ended = true;
      break;
    }
    if (at + length > buf.length) return { ok: false, reason: `option ${code} of length ${length} runs past the end of the datagram` };
    if (raw.has(code)) duplicate ??= code;
    else raw.set(code, buf.subarray(at, at + length));
    at += length;
  }
  if (!ended) return { ok: false, reason: 'no End option' };
  const leaseIdentifier = raw.get(OPTION.leaseIdentifier);
  const family = familyOfNumber(familyNumber);
  const invalid = (reason: string, option?: number): DecodeResult =>
    leaseIdentifier?.length && family
      ? { ok: false, reason, answerable: { type: type ?? typeNumber, family, xid, leaseIdentifier: Buffer.from(leaseIdentifier), ...(option === undefined ? {} : { option }) } }
      : { ok: false, reason };
  if (!type) return invalid(`unknown message type ${typeNumber}`);
  if (!family) return invalid(`unsupported address family ${familyNumber}`);
  if (duplicate !== undefined) return invalid(`option ${duplicate} appears more than once`, duplicate);
  try {
    return { ok: true, message: { type, family, xid, options: readOptions(raw, family) } };
  } catch (error) {
    if (error instanceof OptionError) return invalid(error.message, error.option);
    throw error;
  }
}

function u32(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${what}: ${n} is not an unsigned 32-bit number`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u16(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > MAX_U16) throw new RangeError(`${what}: ${n} is not an unsigned 16-bit number`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u8(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`${what}: ${n} is not an unsigned 8-bit number`);
  return Buffer.from([n]);
}

function addressOf(text: string, family: Family, what: string): Buffer {
  const a = parseAddress(text);
  if (!a || a.family !== family) throw new RangeError(`${what}: '${text}' is not an ${family} address`);
  return addressBytes(family, a.value);
}

function shortText(text: string, what: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  return Buffer.concat([u8(b.length, `${what} length`), b]);
}

/** Largest block size of one List of Address Ranges entry (RFC 2730 §3.11: 2 octets). */
const MAX_BLOCK = 0xffff;

/** A List of Address Ranges value: start address and block size, long ranges split in blocks of at most 65535. */
function addressRangesValue(ranges: readonly AddressRange[], family: Family): Buffer {
  const entries: Buffer[] = [];
  for (const r of ranges) {
    const first = parseAddress(r.first);
    const last = parseAddress(r.last);
    if (!first || first.family !== family || !last || last.family !== family || last.value < first.value) {
      throw new RangeError(`address range ${r.first}-${r.last} is not a range of ${family} addresses`);
    }
    for (let start = first.value; start <= last.value; start += BigInt(MAX_BLOCK)) {
      const size = last.value - start + 1n > BigInt(MAX_BLOCK) ? MAX_BLOCK : Number(last.value - start + 1n);
      entries.push(addressBytes(family, start), u16(size, 'block size'));
    }
  }
  return Buffer.concat(entries);
}

/** The value bytes of each option a message carries, by code. */
function optionValues(m: MadcapMessage): Array<[number, Buffer]> {
  const o = m.options;
  const out: Array<[number, Buffer]> = [];
  const add = (code: number, value: Buffer | undefined): void => {
    if (value !== undefined) out.push([code, value]);
  };
  const list16 = (codes: readonly number[], what: string): Buffer => Buffer.concat(codes.map((c) => u16(c, what)));
  add(OPTION.leaseTime, o.leaseTime === undefined ? undefined : u32(o.leaseTime, 'Lease Time'));
  if (o.serverIdentifier) {
    const { family, address } = o.serverIdentifier;
    add(OPTION.serverIdentifier, Buffer.concat([u16(FAMILY_NUMBER[family], 'family'), addressOf(address, family, 'Server Identifier')]));
  }
  add(OPTION.leaseIdentifier, o.leaseIdentifier);
  add(OPTION.multicastScope, o.multicastScope === undefined ? undefined : addressOf(o.multicastScope, m.family, 'Multicast Scope'));
  add(OPTION.optionRequestList, o.optionRequestList && list16(o.optionRequestList, 'Option Request List'));
  add(OPTION.startTime, o.startTime === undefined ? undefined : u32(o.startTime, 'Start Time'));
  if (o.addressesRequested) {
    add(OPTION.addressesRequested, Buffer.concat([u16(o.addressesRequested.minimum, 'minimum'), u16(o.addressesRequested.desired, 'desired')]));
  }
  add(OPTION.requestedLanguage, o.requestedLanguage === undefined ? undefined : Buffer.from(o.requestedLanguage, 'utf8'));
  if (o.multicastScopeList) {
    const entries = o.multicastScopeList.map((e) =>
      Buffer.concat([
        addressOf(e.id, m.family, 'Scope ID'),
        addressOf(e.last, m.family, 'Last Address'),
        u8(e.ttl, 'TTL'),
        u8(e.names.length, 'Name Count'),
        ...e.names.map((n) => Buffer.concat([u8(n.isDefault ? 0x80 : 0, 'flags'), shortText(n.language, 'Language Tag'), shortText(n.name, 'Name')])),
      ]),
    );
    add(OPTION.multicastScopeList, Buffer.concat([u8(entries.length, 'Scope Count'), ...entries]));
  }
  if (o.addressRanges) add(OPTION.addressRanges, addressRangesValue(o.addressRanges, m.family));
  add(OPTION.currentTime, o.currentTime === undefined ? undefined : u32(o.currentTime, 'Current Time'));
  if (o.featureList) {
    const f = o.featureList;
    add(OPTION.featureList, Buffer.concat([f.supported, f.requested, f.required].map((l) => Buffer.concat([u16(l.length, 'feature count'), list16(l, 'feature')]))));
  }
  add(OPTION.retryTime, o.retryTime === undefined ? undefined : u32(o.retryTime, 'Retry Time'));
  add(OPTION.minimumLeaseTime, o.minimumLeaseTime === undefined ? undefined : u32(o.minimumLeaseTime, 'Minimum Lease Time'));
  add(OPTION.maximumStartTime, o.maximumStartTime === undefined ? undefined : u32(o.maximumStartTime, 'Maximum Start Time'));
  if (o.error) add(OPTION.error, Buffer.concat([u16(o.error.code, 'error code'), o.error.data]));
  return out;
}

/**
 * Writes a message: header, options in code order, End.
 *
 * @throws RangeError when a value does not fit its field (a programming error, not input).
 */
export function encodeMessage(m: MadcapMessage): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = 0;
  header[1] = MESSAGE_TYPE[m.type];
  header.writeUInt16BE(FAMILY_NUMBER[m.family], 2);
  header.writeUInt32BE(m.xid >>> 0, 4);
  const parts: Buffer[] = [header];
  for (const [code, value] of optionValues(m)) {
    if (value.length > MAX_U16) throw new RangeError(`option ${code} is ${value.length} bytes, more than an option can hold`);
    parts.push(u16(code, 'code'), u16(value.length, 'length'), value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}
