/**
 * LDAP message framing (RFC 4511 §4.1.1): the envelope of every request, its controls, and
 * the encoding of every response the server sends.
 */
import { BerError, BerReader, boolean, integer, octets, readTlv, tlv, tlvSize, writeHeader, type Tlv } from './ber.js';

/** Protocol operation tags (RFC 4511 appendix B, APPLICATION class). */
export const Op = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42,
  searchRequest: 0x63,
  searchResultEntry: 0x64,
  searchResultDone: 0x65,
  modifyRequest: 0x66,
  modifyResponse: 0x67,
  addRequest: 0x68,
  addResponse: 0x69,
  delRequest: 0x4a,
  delResponse: 0x6b,
  modDnRequest: 0x6c,
  modDnResponse: 0x6d,
  compareRequest: 0x6e,
  compareResponse: 0x6f,
  abandonRequest: 0x50,
  extendedRequest: 0x77,
  extendedResponse: 0x78,
} as const;

/** The response tag for each request tag that has one. */
export const RESPONSE_OF: Readonly<Record<number, number>> = {
  [Op.bindRequest]: Op.bindResponse,
  [Op.searchRequest]: Op.searchResultDone,
  [Op.modifyRequest]: Op.modifyResponse,
  [Op.addRequest]: Op.addResponse,
  [Op.delRequest]: Op.delResponse,
  [Op.modDnRequest]: Op.modDnResponse,
  [Op.compareRequest]: Op.compareResponse,
  [Op.extendedRequest]: Op.extendedResponse,
};

/** A control on a request. */
export interface RequestControl {
  oid: string;
  critical: boolean;
  value: Buffer | undefined;
}

/** A decoded envelope. `op` locates the protocol operation inside `pdu`. */
export interface Envelope {
  pdu: Buffer;
  messageId: number;
  op: Tlv;
  controls: RequestControl[];
}

/** Decodes the envelope of one complete PDU. */
export function decodeEnvelope(pdu: Buffer): Envelope {
  const message = new BerReader(pdu).enter(0x30);
  const messageId = message.integer();
  if (messageId < 0) throw new BerError('negative message id');
  if (message.done) throw new BerError('message without an operation');
  const op = message.next();
  const controls: RequestControl[] = [];
  if (message.peek() === 0xa0) {
    const list = message.enter(0xa0);
    while (!list.done) {
      const c = list.enter(0x30);
      const oid = c.string();
      let critical = false;
      let value: Buffer | undefined;
      if (c.peek() === 0x01) critical = c.boolean();
      if (c.peek() === 0x04) value = Buffer.from(c.bytes(0x04));
      if (!c.done) throw new BerError('trailing data in a control');
      controls.push({ oid, critical, value });
    }
  }
  if (!message.done) throw new BerError('trailing data after the operation');
  return { pdu, messageId, op, controls };
}

/** A control on a response. */
export interface ResponseControl {
  oid: string;
  value?: Buffer;
}

/** Wraps a protocol operation into a message. */
export function message(messageId: number, op: Buffer, controls: readonly ResponseControl[] = []): Buffer {
  const parts = [integer(messageId), op];
  if (controls.length > 0) {
    parts.push(tlv(0xa0, ...controls.map((c) => tlv(0x30, octets(c.oid), ...(c.value ? [octets(c.value)] : [])))));
  }
  return tlv(0x30, ...parts);
}

/** An LDAPResult-shaped operation (with optional extra trailing elements). */
export function resultOp(tag: number, code: number, diagnostic = '', matchedDn = '', ...extra: Buffer[]): Buffer {
  return tlv(tag, integer(code, 0x0a), octets(matchedDn), octets(diagnostic), ...extra);
}

/** An ExtendedResponse with optional name and raw value. */
export function extendedResponseOp(code: number, diagnostic: string, name?: string, value?: Buffer): Buffer {
  const extra: Buffer[] = [];
  if (name !== undefined) extra.push(octets(name, 0x8a));
  if (value !== undefined) extra.push(octets(value, 0x8b));
  return resultOp(Op.extendedResponse, code, diagnostic, '', ...extra);
}

/** OID of the unsolicited notice of disconnection (RFC 4511 §4.4.1). */
export const NOTICE_OF_DISCONNECTION = '1.3.6.1.4.1.1466.20036';

/** An attribute of a returned entry; `binary` values are latin1 strings (one char per byte). */
export interface EntryAttribute {
  readonly name: string;
  readonly values: readonly string[];
  readonly binary: boolean;
}

/**
 * The PartialAttributeList of a SearchResultEntry (RFC 4511 §4.5.2), with its header. Sized
 * first, then written into one buffer: this is the bulk of what a search sends, and building
 * it from nested TLVs costs an allocation and a copy per level for every value. The
 * directory stores it with each entry (its attribute encoder), so that most searches send it
 * as it is.
 */
export function attributeList(attributes: readonly EntryAttribute[]): Buffer {
  const valueLengths: number[] = [];
  const attributeLengths: number[] = [];
  let list = 0;
  for (const a of attributes) {
    let set = 0;
    for (const v of a.values) {
      const n = a.binary ? v.length : Buffer.byteLength(v, 'utf8');
      valueLengths.push(n);
      set += tlvSize(n);
    }
    const content = tlvSize(Buffer.byteLength(a.name, 'utf8')) + tlvSize(set);
    attributeLengths.push(content, set);
    list += tlvSize(content);
  }
  const out = Buffer.allocUnsafe(tlvSize(list));
  let at = writeHeader(out, 0, 0x30, list);
  let value = 0;
  attributes.forEach((a, i) => {
    at = writeHeader(out, at, 0x30, attributeLengths[2 * i]!);
    at = writeHeader(out, at, 0x04, Buffer.byteLength(a.name, 'utf8'));
    at += out.write(a.name, at, 'utf8');
    at = writeHeader(out, at, 0x31, attributeLengths[2 * i + 1]!);
    for (const v of a.values) {
      const n = valueLengths[value++]!;
      at = writeHeader(out, at, 0x04, n);
      at += out.write(v, at, a.binary ? 'latin1' : 'utf8');
    }
  });
  return out;
}

/** Whether bytes [start, end) of `buffer` are the (ASCII) `name`: compared in place, no string made. */
function isName(buffer: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i += 1) if (buffer[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * Walks a list {@link attributeList} wrote: `visit` gets each attribute's name (its bounds)
 * and its SET of values, and returns true to stop. Only headers are read.
 */
function walkAttributeList(list: Buffer, visit: (nameStart: number, nameEnd: number, set: Tlv) => boolean): void {
  const outer = readTlv(list, 0);
  for (let at = outer.start; at < outer.end; ) {
    const attribute = readTlv(list, at, outer.end);
    at = attribute.end;
    const type = readTlv(list, attribute.start, attribute.end);
    if (visit(type.start, type.end, readTlv(list, type.end, attribute.end))) return;
  }
}

/** The values of a SET OF AttributeValue; binary ones as latin1 strings, as {@link EntryAttribute} has them. */
function setValues(list: Buffer, set: Tlv, binary: boolean): string[] {
  const values: string[] = [];
  for (let v = set.start; v < set.end; ) {
    const value = readTlv(list, v, set.end);
    values.push(list.toString(binary ? 'latin1' : 'utf8', value.start, value.end));
    v = value.end;
  }
  return values;
}

/**
 * The values of one attribute in a list {@link attributeList} wrote, found by its name as
 * written there; undefined when the list does not hold it. Filters are evaluated on stored
 * lists with this: it decodes only the attribute asked for (a conference's blob is most of
 * its list, and few filters name it).
 */
export function attributeValues(list: Buffer, name: string, binary: boolean): string[] | undefined {
  let values: string[] | undefined;
  walkAttributeList(list, (nameStart, nameEnd, set) => {
    if (!isName(list, nameStart, nameEnd, name)) return false;
    values = setValues(list, set, binary);
    return true;
  });
  return values;
}

/**
 * Every attribute of a list {@link attributeList} wrote, with its values; `binary` tells by
 * name which values are bytes. The directory stores entries' attributes as such lists.
 */
export function readAttributeList(list: Buffer, binary: (name: string) => boolean): Array<EntryAttribute & { values: string[] }> {
  const attributes: Array<EntryAttribute & { values: string[] }> = [];
  walkAttributeList(list, (nameStart, nameEnd, set) => {
    const name = list.toString('utf8', nameStart, nameEnd);
    const isBinary = binary(name);
    attributes.push({ name, values: setValues(list, set, isBinary), binary: isBinary });
    return false;
  });
  return attributes;
}

/**
 * A whole SearchResultEntry LDAPMessage from an encoded attribute list, written into one
 * buffer: the message is the one allocation and the one copy of the attributes.
 */
export function searchEntryMessage(messageId: number, dn: string, list: Buffer): Buffer {
  const id = integer(messageId);
  const dnLength = Buffer.byteLength(dn, 'utf8');
  const op = tlvSize(dnLength) + list.length;
  const body = id.length + tlvSize(op);
  const out = Buffer.allocUnsafe(tlvSize(body));
  let at = writeHeader(out, 0, 0x30, body);
  at += id.copy(out, at);
  at = writeHeader(out, at, Op.searchResultEntry, op);
  at = writeHeader(out, at, 0x04, dnLength);
  at += out.write(dn, at, 'utf8');
  list.copy(out, at);
  return out;
}

export { boolean };
