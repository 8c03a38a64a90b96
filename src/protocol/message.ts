/**
 * LDAPMessage (RFC 4511 §4.1.1), as both sides speak it: the tags of its protocol
 * operations, its envelope (message id, operation, controls) read from a complete PDU, and
 * an operation wrapped into one.
 */
import { BerError, BerReader, boolean, integer, octets, tlv, tlvSize, writeHeader, type Tlv } from './ber.js';

/** Protocol operation tags (RFC 4511 appendix B, APPLICATION class). */
export const Op = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42,
  searchRequest: 0x63,
  searchResultEntry: 0x64,
  searchResultDone: 0x65,
  searchResultReference: 0x73,
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
  intermediateResponse: 0x79,
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

/**
 * A message from its parts after the id (the operation, and the controls element when
 * there is one), encoded once and shared: what many clients are sent alike costs one copy
 * each, their message id put in front.
 */
export function messageWithBody(messageId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(messageWithBodySize(messageId, body.length));
  writeMessageWithBody(out, 0, messageId, body);
  return out;
}

/** Content bytes of a non-negative INTEGER (a message id), as DER has them. */
export function messageIdLength(messageId: number): number {
  let n = 1;
  // A leading byte with its top bit set would read as negative: one more byte.
  for (let limit = 0x80; messageId >= limit; limit *= 256) n += 1;
  return n;
}

/** Writes a message id (a non-negative INTEGER of `length` content bytes) at `at`; returns where it ends. */
export function writeMessageId(target: Buffer, at: number, messageId: number, length = messageIdLength(messageId)): number {
  target[at++] = 0x02;
  target[at++] = length;
  // Shifts for what fits 32 bits (a power per byte was a measurable part of every message).
  for (let shift = (length - 1) * 8; shift >= 0; shift -= 8) target[at++] = (shift < 32 ? messageId >>> shift : Math.floor(messageId / 2 ** shift)) & 0xff;
  return at;
}

/** The size of {@link messageWithBody}'s message. */
export function messageWithBodySize(messageId: number, bodyLength: number): number {
  return tlvSize(2 + messageIdLength(messageId) + bodyLength);
}

/** Writes {@link messageWithBody}'s message into `target` at `offset`; returns the offset after it. */
export function writeMessageWithBody(target: Buffer, offset: number, messageId: number, body: Buffer): number {
  const idLength = messageIdLength(messageId);
  let at = writeHeader(target, offset, 0x30, 2 + idLength + body.length);
  at = writeMessageId(target, at, messageId, idLength);
  // TypedArray's set is a plain copy; Buffer's copy checks its arguments in JavaScript first,
  // a tenth of a live search's fan-out when a change goes to a thousand searches.
  target.set(body, at);
  return at + body.length;
}

/**
 * Messages to go out together, each a message id and a shared body ({@link messageBody}),
 * encoded into one buffer when written out: a thousand live searches told of a change cost a
 * copy each, not a buffer and a socket write each. Reusable: {@link writeTo} empties it.
 */
export class MessageBatch {
  // Kept and refilled rather than emptied by `length = 0`, which lets V8 drop the arrays'
  // storage: a live fan-out fills tens of thousands of batches a second, each regrowing it.
  readonly #ids: number[] = [];
  readonly #bodies: Array<Buffer | undefined> = [];
  #count = 0;
  #bytes = 0;

  /** The encoded size of what the batch holds (0: empty). */
  get bytes(): number {
    return this.#bytes;
  }

  add(messageId: number, body: Buffer): void {
    this.#ids[this.#count] = messageId;
    this.#bodies[this.#count] = body;
    this.#count += 1;
    this.#bytes += messageWithBodySize(messageId, body.length);
  }

  /**
   * Writes the messages, in the order added, at the start of `target` (at least
   * {@link bytes} long), and empties the batch (the bodies it held are let go).
   */
  writeTo(target: Buffer): void {
    let offset = 0;
    for (let i = 0; i < this.#count; i += 1) {
      offset = writeMessageWithBody(target, offset, this.#ids[i]!, this.#bodies[i]!);
      this.#bodies[i] = undefined;
    }
    this.#count = 0;
    this.#bytes = 0;
  }

  /** Empties the batch, writing nothing. */
  clear(): void {
    this.#bodies.fill(undefined, 0, this.#count);
    this.#count = 0;
    this.#bytes = 0;
  }
}

/** The parts of a message after its id: the operation and, when there are any, the controls element. */
export function messageBody(op: Buffer, controls: readonly ResponseControl[] = []): Buffer {
  if (controls.length === 0) return op;
  return Buffer.concat([op, tlv(0xa0, ...controls.map((c) => tlv(0x30, octets(c.oid), ...(c.value ? [octets(c.value)] : []))))]);
}

/** Wraps a protocol operation into a message; a client marks the controls it cannot do without `critical`. */
export function message(messageId: number, op: Buffer, controls: ReadonlyArray<ResponseControl & { critical?: boolean }> = []): Buffer {
  const parts = [integer(messageId), op];
  if (controls.length > 0) {
    parts.push(tlv(0xa0, ...controls.map((c) => tlv(0x30, octets(c.oid), ...(c.critical ? [boolean(true)] : []), ...(c.value ? [octets(c.value)] : [])))));
  }
  return tlv(0x30, ...parts);
}

