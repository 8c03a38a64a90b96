/**
 * The BER subset LDAP uses (RFC 4511 §5.1: definite lengths only), for the message envelope,
 * controls, binds, extended operations and every response, read and written alike by the
 * server and the client. Reading works on untrusted bytes: every length is checked against
 * what is there.
 */

/** Raised for bytes that are not valid BER. A server ends the connection that sent them. */
export class BerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerError';
  }
}

/** One TLV: its tag, where its value starts and ends in the buffer. */
export interface Tlv {
  tag: number;
  /** Where the tag byte is. */
  offset: number;
  /** Where the value starts. */
  start: number;
  end: number;
}

/** A TLV to read into ({@link readTlvInto}), before anything is read into it. */
export function tlvHolder(): Tlv {
  return { tag: 0, offset: 0, start: 0, end: 0 };
}

/** Reads the TLV at `offset` (tag, length); throws when the buffer does not hold it. */
export function readTlv(buffer: Buffer, offset: number, limit = buffer.length): Tlv {
  return readTlvInto(tlvHolder(), buffer, offset, limit);
}

/**
 * {@link readTlv} into a holder the caller reuses, which it returns: for readers of hundreds
 * of thousands of messages a second (the benchmark's watchers), to whom an object per element
 * read was a fifth of their time in the garbage collector.
 */
export function readTlvInto(target: Tlv, buffer: Buffer, offset: number, limit = buffer.length): Tlv {
  if (offset + 2 > limit) throw new BerError('truncated element');
  const tag = buffer[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by LDAP');
  let length = buffer[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new BerError('indefinite length is not allowed in LDAP');
    if (count > 4) throw new BerError('length too large');
    if (start + count > limit) throw new BerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + buffer[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new BerError('element longer than its container');
  target.tag = tag;
  target.offset = offset;
  target.start = start;
  target.end = end;
  return target;
}

/**
 * How many bytes the complete TLV at `start` of `buffer` needs, or undefined if its header is
 * incomplete in the bytes before `end`.
 */
export function pduLength(buffer: Buffer, start = 0, end = buffer.length): number | undefined {
  if (end - start < 2) return undefined;
  let length = buffer[start + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new BerError('indefinite length is not allowed in LDAP');
    if (count > 4) throw new BerError('length too large');
    if (end - start < 2 + count) return undefined;
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + buffer[start + 2 + i]!;
    header += count;
  }
  return header + length;
}

/** A cursor over the elements of a constructed value. */
export class BerReader {
  readonly buffer: Buffer;
  offset: number;
  readonly end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.buffer = buffer;
    this.offset = start;
    this.end = end;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  /** Tag of the next element, or undefined at the end. */
  peek(): number | undefined {
    return this.done ? undefined : this.buffer[this.offset];
  }

  /** Reads the next element, which must have tag `tag` when given. */
  next(tag?: number): Tlv {
    const tlv = readTlv(this.buffer, this.offset, this.end);
    if (tag !== undefined && tlv.tag !== tag) {
      throw new BerError(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
    }
    this.offset = tlv.end;
    return tlv;
  }

  /** A reader over the next (constructed) element's contents. */
  enter(tag?: number): BerReader {
    const tlv = this.next(tag);
    return new BerReader(this.buffer, tlv.start, tlv.end);
  }

  /** The bytes of the next element's value. */
  bytes(tag?: number): Buffer {
    const tlv = this.next(tag);
    return this.buffer.subarray(tlv.start, tlv.end);
  }

  /** The next element's value as UTF-8 text. */
  string(tag = 0x04): string {
    return this.bytes(tag).toString('utf8');
  }

  /** The next element as an INTEGER (or ENUMERATED with tag 0x0a) that fits in 32 bits. */
  integer(tag = 0x02): number {
    const value = this.bytes(tag);
    if (value.length === 0 || value.length > 4) throw new BerError('integer of unsupported size');
    return value.readIntBE(0, value.length);
  }

  /** The next element as a BOOLEAN. */
  boolean(tag = 0x01): boolean {
    const value = this.bytes(tag);
    if (value.length !== 1) throw new BerError('bad boolean');
    return value[0] !== 0;
  }

  /** The whole next element (tag, length and value). */
  raw(): Buffer {
    const start = this.offset;
    this.next();
    return this.buffer.subarray(start, this.offset);
  }
}

/** How many bytes the length field of `length` takes (definite form). */
function lengthSize(length: number): number {
  return length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length < 0x1000000 ? 4 : 5;
}

/** Bytes of a whole TLV whose value is `length` bytes. */
export function tlvSize(length: number): number {
  return 1 + lengthSize(length) + length;
}

/** Writes tag and length at `offset`; returns where the value starts. */
export function writeHeader(target: Buffer, offset: number, tag: number, length: number): number {
  target[offset++] = tag;
  const size = lengthSize(length);
  if (size === 1) {
    target[offset++] = length;
    return offset;
  }
  target[offset++] = 0x80 | (size - 1);
  // At most four length bytes (lengthSize): the length fits 32 bits, and shifts are exact.
  for (let shift = (size - 2) * 8; shift >= 0; shift -= 8) target[offset++] = (length >>> shift) & 0xff;
  return offset;
}

/**
 * A TLV of the given tag around the concatenated parts. One allocation and one copy per
 * part: responses are built from these, so the common path avoids Buffer.concat's extra
 * buffers.
 */
export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = Buffer.allocUnsafe(1 + lengthSize(length) + length);
  let offset = writeHeader(out, 0, tag, length);
  for (const part of parts) offset += part.copy(out, offset);
  return out;
}

/** An OCTET STRING (or other primitive) from text (UTF-8, or `latin1` for one byte per char) or bytes. */
export function octets(value: string | Buffer, tag = 0x04, encoding: 'utf8' | 'latin1' = 'utf8'): Buffer {
  if (typeof value !== 'string') return tlv(tag, value);
  const length = encoding === 'latin1' ? value.length : Buffer.byteLength(value, 'utf8');
  const out = Buffer.allocUnsafe(1 + lengthSize(length) + length);
  out.write(value, writeHeader(out, 0, tag, length), encoding);
  return out;
}

/** An INTEGER (or ENUMERATED with tag 0x0a), minimal two's complement. */
export function integer(value: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n !== 0 && n !== -1);
  if (value >= 0 && bytes[0]! & 0x80) bytes.unshift(0);
  if (value < 0 && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return tlv(tag, Buffer.from(bytes));
}

/** A BOOLEAN. */
export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}
