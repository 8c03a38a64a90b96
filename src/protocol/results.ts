/**
 * The responses a client reads, decoded from the protocol operation of an envelope
 * (`decodeEnvelope`): LDAPResult-shaped results (with an ExtendedResponse's name and value),
 * SearchResultEntry, and IntermediateResponse (RFC 4511 §4.13). The bytes are untrusted:
 * every length is checked by the BER reader.
 */
import { BerError, BerReader, type Tlv } from './ber.js';
import { Op } from './message.js';

/** An LDAPResult (RFC 4511 §4.1.9), plus an ExtendedResponse's optional name and value. */
export interface LdapResult {
  /** The operation's tag (searchResultDone, bindResponse, extendedResponse...). */
  tag: number;
  code: number;
  matchedDn: string;
  diagnostic: string;
  /** ExtendedResponse responseName [10]. */
  name?: string;
  /** ExtendedResponse responseValue [11]. */
  value?: Buffer;
}

/** Reads an LDAPResult-shaped operation (any response but entries, references and intermediate responses). */
export function decodeResult(pdu: Buffer, op: Tlv): LdapResult {
  const r = new BerReader(pdu, op.start, op.end);
  const result: LdapResult = { tag: op.tag, code: r.integer(0x0a), matchedDn: r.string(), diagnostic: r.string() };
  if (r.peek() === 0xa3) r.next(); // referral: not followed
  if (r.peek() === 0x87) r.next(); // a bind's serverSaslCreds
  if (r.peek() === 0x8a) result.name = r.string(0x8a);
  if (r.peek() === 0x8b) result.value = Buffer.from(r.bytes(0x8b));
  return result;
}

/** One attribute of an entry: its description as the server wrote it and its raw values. */
export interface ResultAttribute {
  type: string;
  values: Buffer[];
}

/** A SearchResultEntry (RFC 4511 §4.5.2). */
export interface ResultEntry {
  dn: string;
  attributes: ResultAttribute[];
}

export function decodeSearchEntry(pdu: Buffer, op: Tlv): ResultEntry {
  if (op.tag !== Op.searchResultEntry) throw new BerError('not a search result entry');
  const r = new BerReader(pdu, op.start, op.end);
  const dn = r.string();
  const list = r.enter(0x30);
  const attributes: ResultAttribute[] = [];
  while (!list.done) {
    const attribute = list.enter(0x30);
    const type = attribute.string();
    const set = attribute.enter(0x31);
    const values: Buffer[] = [];
    while (!set.done) values.push(Buffer.from(set.bytes(0x04)));
    attributes.push({ type, values });
  }
  return { dn, attributes };
}

/** An IntermediateResponse (RFC 4511 §4.13): `{ responseName [0] OPTIONAL, responseValue [1] OPTIONAL }`. */
export interface IntermediateResponse {
  name?: string;
  value?: Buffer;
}

export function decodeIntermediateResponse(pdu: Buffer, op: Tlv): IntermediateResponse {
  if (op.tag !== Op.intermediateResponse) throw new BerError('not an intermediate response');
  const r = new BerReader(pdu, op.start, op.end);
  const out: IntermediateResponse = {};
  if (r.peek() === 0x80) out.name = r.string(0x80);
  if (r.peek() === 0x81) out.value = Buffer.from(r.bytes(0x81));
  return out;
}
