/**
 * Cutting the byte stream of the library's own connections into LDAP messages, with a limit
 * on a message's size: a message announced longer than the limit is refused before its
 * bytes are gathered, so a broken or hostile server cannot make the client hold more than
 * one limit's worth. Linear in the bytes received: the pieces of a message that spans reads
 * are joined once, when it is complete. (The server frames its clients' requests in
 * src/ldap/framing.ts, with a budget shared by its connections; both read lengths with the
 * protocol's `pduLength`.)
 */
import { BerError, pduLength } from '../protocol/index.js';

/** A message over the size limit. */
export class MessageTooLargeError extends Error {
  constructor(length: number, limit: number) {
    super(`the server sent a message of ${length} bytes, more than the limit of ${limit} bytes`);
    this.name = 'MessageTooLargeError';
  }
}

/** The messages of one connection's byte stream. */
export class MessageFramer {
  readonly #limit: number;
  /** Bytes received and not yet handed out, in the order received. */
  #pieces: Buffer[] = [];
  #held = 0;
  /** Length of the message at the front, once its header is in. */
  #expected: number | undefined;

  /** `limit`: the largest message accepted, in bytes. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Adds what was read and returns the messages it completes, in order.
   *
   * @throws BerError for bytes that cannot start an LDAPMessage.
   * @throws {@link MessageTooLargeError} for a message announced longer than the limit.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    this.#pieces.push(chunk);
    this.#held += chunk.length;
    while (this.#held > 0) {
      if (this.#expected === undefined) {
        // A header is at most 6 bytes: join small first pieces until it is readable.
        if (this.#pieces[0]!.length < 6 && this.#pieces.length > 1) this.#pieces = [Buffer.concat(this.#pieces)];
        const front = this.#pieces[0]!;
        if (front[0] !== 0x30) throw new BerError('a message must start with a SEQUENCE');
        const length = pduLength(front);
        if (length === undefined) break;
        if (length > this.#limit) throw new MessageTooLargeError(length, this.#limit);
        this.#expected = length;
      }
      if (this.#held < this.#expected) break;
      const all = this.#pieces.length === 1 ? this.#pieces[0]! : Buffer.concat(this.#pieces, this.#held);
      out.push(all.subarray(0, this.#expected));
      const rest = all.subarray(this.#expected);
      this.#pieces = rest.length > 0 ? [rest] : [];
      this.#held = rest.length;
      this.#expected = undefined;
    }
    return out;
  }

  /** Bytes received and not yet handed out. */
  get held(): number {
    return this.#held;
  }
}
