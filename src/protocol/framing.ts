/**
 * Cutting a connection's byte stream into PDUs, in time and memory linear in the bytes
 * received. A PDU that arrives whole in one read is handed out as a view of that read, with
 * no copy; one that spans reads is gathered in a buffer that grows by doubling (never past
 * the PDU's announced length), so a PDU trickled in a thousand pieces is copied about twice,
 * not a thousand times. Every byte held between reads (incomplete PDUs, and complete ones
 * not yet taken) is charged to a {@link PartialBudget}: the server's is shared by the
 * process's connections, a client's connection has its own. One implementation for the
 * server's requests (src/ldap/connection.ts) and the library's live searches
 * (src/client/message-framer.ts).
 */
import { BerError, pduLength } from './ber.js';

/** Bytes of incomplete PDUs held by all the connections of a process, against a ceiling. */
export class PartialBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when that would pass the ceiling. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }
}

/** Why a PDU is refused before it is read whole: the connection ends with `code` in a notice. */
export class PduRefusal extends Error {
  readonly code: number;
  /** The length the refused PDU announced (undefined when the budget refused the bytes). */
  readonly length: number | undefined;

  constructor(code: number, message: string, length?: number) {
    super(message);
    this.name = 'PduRefusal';
    this.code = code;
    this.length = length;
  }
}

/** Smallest gathering buffer: a PDU's header and a small request fit. */
const MIN_GATHER = 256;

/** The PDUs of one connection's byte stream. */
export class PduFramer {
  readonly #budget: PartialBudget;
  /** Unconsumed bytes: a view of the last read, or the filled part of {@link #gather}. */
  #data: Buffer = Buffer.alloc(0);
  /** The buffer bytes spanning reads are gathered in; `#data` is then its [start, end). */
  #gather: Buffer | undefined;
  #start = 0;
  #end = 0;
  /** What the bytes held take from the budget: the size of {@link #gather}, or of the view held. */
  #charged = 0;
  /** Refusal code for a PDU over its size limit, and for an exhausted budget. */
  readonly #codes: { tooLarge: number; budget: number };

  constructor(budget: PartialBudget, codes: { tooLarge: number; budget: number }) {
    this.#budget = budget;
    this.#codes = codes;
  }

  /** Bytes received and not yet handed out as PDUs. */
  get held(): number {
    return this.#data.length;
  }

  /** Adds what the socket read. Throws {@link PduRefusal} when the budget cannot hold it. */
  push(chunk: Buffer): void {
    if (this.#data.length === 0 && this.#gather === undefined) {
      this.#charge(chunk.length);
      this.#data = chunk;
      return;
    }
    if (this.#gather === undefined || this.#end + chunk.length > this.#gather.length) this.#grow(this.#data.length + chunk.length);
    chunk.copy(this.#gather!, this.#end);
    this.#end += chunk.length;
    this.#data = this.#gather!.subarray(this.#start, this.#end);
  }

  /**
   * The next complete PDU, or undefined when the bytes held do not complete one. Throws
   * {@link BerError} for bytes that cannot start an LDAPMessage, and {@link PduRefusal} for
   * a PDU announced longer than `limit`.
   */
  next(limit: number, limitText: () => string): Buffer | undefined {
    const data = this.#data;
    if (data.length === 0) return undefined;
    if (data[0] !== 0x30) throw new BerError('a message must start with a SEQUENCE');
    const length = pduLength(data);
    if (length !== undefined && length > limit) throw new PduRefusal(this.#codes.tooLarge, `message of ${length} bytes exceeds ${limitText()}`, length);
    if (length === undefined || data.length < length) {
      // The start of a PDU, left in a read's buffer: copied out, so that a few bytes held do
      // not keep the whole read's buffer alive uncharged.
      if (this.#gather === undefined) this.#grow(data.length);
      return undefined;
    }
    const pdu = data.subarray(0, length);
    this.#data = data.subarray(length);
    if (this.#gather === undefined) {
      this.#budget.give(length);
      this.#charged -= length;
    } else {
      this.#start += length;
      // Handed-out PDUs keep the buffer alive while queued; new bytes go to a fresh one.
      if (this.#data.length === 0) this.#release();
    }
    return pdu;
  }

  /**
   * Moves the bytes held into a gathering buffer with room for `needed`: doubling, but not
   * past the PDU at the front when its length is known (the common case is one large PDU,
   * which then ends up exactly in its own buffer).
   */
  #grow(needed: number): void {
    const front = this.#data.length >= 6 ? pduLength(this.#data) : undefined;
    let size = Math.max(needed, MIN_GATHER, 2 * (this.#gather?.length ?? 0));
    if (front !== undefined && front >= needed) size = Math.min(size, front);
    this.#charge(size);
    const grown = Buffer.allocUnsafe(size);
    this.#data.copy(grown, 0);
    this.#gather = grown;
    this.#start = 0;
    this.#end = this.#data.length;
    this.#data = grown.subarray(0, this.#end);
  }

  /** Forgets everything held (the connection closed, or changes to TLS). */
  clear(): void {
    this.#data = Buffer.alloc(0);
    this.#release();
  }

  /** Charges the budget for holding `size` bytes in all (growing what is charged now). */
  #charge(size: number): void {
    const more = size - this.#charged;
    if (!this.#budget.take(more)) {
      throw new PduRefusal(this.#codes.budget, `the server holds ${Math.round(this.#budget.limit / 1048576)} MiB of incomplete requests; try again later`);
    }
    this.#charged = size;
  }

  #release(): void {
    this.#budget.give(this.#charged);
    this.#charged = 0;
    this.#gather = undefined;
    this.#start = 0;
    this.#end = 0;
  }
}
