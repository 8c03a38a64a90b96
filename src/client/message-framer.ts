/**
 * Cutting the byte stream of the library's own connections into LDAP messages, with a limit
 * on a message's size: a message announced longer than the limit is refused before its
 * bytes are gathered, so a broken or hostile server cannot make the client hold more than
 * one limit's worth. The framing is the protocol's ({@link PduFramer}, which the server
 * frames its clients' requests with too), with a budget of its own per connection.
 */
import { PartialBudget, PduFramer, PduRefusal } from '../protocol/index.js';

/** A message over the size limit. */
export class MessageTooLargeError extends Error {
  constructor(length: number, limit: number) {
    super(`the server sent a message of ${length} bytes, more than the limit of ${limit} bytes`);
    this.name = 'MessageTooLargeError';
  }
}

/** The refusal code the framer is given: unused, a refusal becomes a {@link MessageTooLargeError}. */
const TOO_LARGE = 0;

/** The messages of one connection's byte stream. */
export class MessageFramer {
  readonly #limit: number;
  readonly #framer: PduFramer;

  /** `limit`: the largest message accepted, in bytes. */
  constructor(limit: number) {
    this.#limit = limit;
    // A message being gathered, and what one read brings beyond it: at most twice the limit.
    this.#framer = new PduFramer(new PartialBudget(2 * limit + 65536), { tooLarge: TOO_LARGE, budget: TOO_LARGE });
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
    try {
      this.#framer.push(chunk);
      for (let pdu = this.#next(); pdu !== undefined; pdu = this.#next()) out.push(pdu);
    } catch (error) {
      if (error instanceof PduRefusal) throw new MessageTooLargeError(error.length ?? this.#framer.held + chunk.length, this.#limit);
      throw error;
    }
    return out;
  }

  #next(): Buffer | undefined {
    return this.#framer.next(this.#limit, () => `the limit of ${this.#limit} bytes`);
  }

  /** Bytes received and not yet handed out. */
  get held(): number {
    return this.#framer.held;
  }
}
