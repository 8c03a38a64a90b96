/**
 * Cutting a connection's byte stream into PDUs, in time and memory linear in the bytes
 * received, copying only the bytes of PDUs that span reads. A PDU that arrives whole in one
 * read is handed out as a view of that read, with no copy. One that spans reads is gathered
 * in a buffer of its own that grows by doubling (never past the PDU's announced length), so
 * a PDU trickled in a thousand pieces is copied about twice, not a thousand times: its start
 * is copied out of the read it began in, and of each later read only the bytes that complete
 * it (first its header's, when the header itself spans reads, then the rest, once its length
 * has been checked against the limit). The rest of that read stays where it is, and the PDUs
 * that follow in it are handed out as views, as from a fresh read; so a stream whose PDUs do
 * not align with reads (a live search's) is copied only where a PDU crosses a read's end.
 *
 * Every byte held between reads (the gathering buffer, whole, and the bytes of a read not yet
 * handed out) is charged to a {@link PartialBudget}: the server's is shared by the process's
 * connections, a client's connection has its own. An incomplete PDU at the end of a read is
 * copied out rather than held as a view, so that a few bytes held do not keep a large read
 * alive uncharged. One implementation for the server's requests (src/ldap/connection.ts),
 * the library's live searches (src/client/message-framer.ts) and the benchmark's
 * connections (bench/connection.ts).
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

const EMPTY = Buffer.alloc(0);

/** The PDUs of one connection's byte stream. */
export class PduFramer {
  readonly #budget: PartialBudget;
  /** Refusal code for a PDU over its size limit, and for an exhausted budget. */
  readonly #codes: { tooLarge: number; budget: number };
  /** The last read (rarely, the unread rest of one joined with the next), unread from {@link #offset}. */
  #chunk: Buffer = EMPTY;
  #offset = 0;
  /** The buffer the PDU at the front is gathered in while it spans reads; its first {@link #gathered} bytes are filled. */
  #gather: Buffer | undefined;
  #gathered = 0;
  /** What the bytes held take from the budget: the gathering buffer's size plus the unread bytes of {@link #chunk}. */
  #charged = 0;
  /** Where the PDU {@link PduFramer.locate} found lies in the buffer it returned. */
  #pduStart = 0;
  #pduEnd = 0;

  constructor(budget: PartialBudget, codes: { tooLarge: number; budget: number }) {
    this.#budget = budget;
    this.#codes = codes;
  }

  /** Bytes received and not yet handed out as PDUs. */
  get held(): number {
    return this.#gathered + this.#chunk.length - this.#offset;
  }

  /**
   * Adds what the socket read, held as it is (no copy) until PDUs are taken from it. Throws
   * {@link PduRefusal} when the budget cannot hold it.
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const unread = this.#chunk.length - this.#offset;
    const gathering = this.#gather?.length ?? 0;
    if (unread === 0) {
      this.#charge(gathering + chunk.length);
      this.#chunk = chunk;
      this.#offset = 0;
      return;
    }
    // PDUs were left in the last read (the server's queue is full, and it has paused the
    // socket): rare, so the unread rest and the new read are simply joined.
    this.#charge(gathering + unread + chunk.length);
    const joined = Buffer.allocUnsafe(unread + chunk.length);
    this.#chunk.copy(joined, 0, this.#offset);
    chunk.copy(joined, unread);
    this.#chunk = joined;
    this.#offset = 0;
  }

  /**
   * The next complete PDU, or undefined when the bytes held do not complete one. Throws
   * {@link BerError} for bytes that cannot start an LDAPMessage, and {@link PduRefusal} for
   * a PDU announced longer than `limit` (or a gathering buffer the budget cannot hold).
   */
  next(limit: number, limitText: () => string): Buffer | undefined {
    return this.locate(limit, limitText)?.subarray(this.#pduStart, this.#pduEnd);
  }

  /**
   * {@link PduFramer.next} without making a view of the PDU, for a reader of hundreds of
   * thousands of messages a second: the buffer that holds it, whose bytes
   * [{@link PduFramer.pduStart}, {@link PduFramer.pduEnd}) it is. The framer never writes
   * to a buffer it has returned.
   */
  locate(limit: number, limitText: () => string): Buffer | undefined {
    if (this.#gather !== undefined) return this.#complete(limit, limitText);
    const chunk = this.#chunk;
    const offset = this.#offset;
    const size = chunk.length;
    if (offset === size) return undefined;
    if (chunk[offset] !== 0x30) throw new BerError('a message must start with a SEQUENCE');
    const length = pduLength(chunk, offset);
    if (length !== undefined && length > limit) throw this.#tooLarge(length, limitText);
    if (length === undefined || size - offset < length) {
      // The start of a PDU at the end of a read: copied out, so that a few bytes held do not
      // keep the whole read's buffer alive uncharged.
      const unread = size - offset;
      const room = Math.min(Math.max(unread, MIN_GATHER), length ?? Infinity);
      this.#charge(room);
      const gather = Buffer.allocUnsafe(room);
      chunk.copy(gather, 0, offset);
      this.#gather = gather;
      this.#gathered = unread;
      this.#chunk = EMPTY;
      this.#offset = 0;
      return undefined;
    }
    this.#budget.give(length);
    this.#charged -= length;
    this.#pduStart = offset;
    this.#pduEnd = offset + length;
    if (offset + length === size) {
      this.#chunk = EMPTY;
      this.#offset = 0;
    } else {
      this.#offset = offset + length;
    }
    return chunk;
  }

  /** Where the PDU {@link PduFramer.locate} last found starts in the buffer it returned. */
  get pduStart(): number {
    return this.#pduStart;
  }

  /** Where that PDU ends. */
  get pduEnd(): number {
    return this.#pduEnd;
  }

  /**
   * Takes from the read what completes the PDU being gathered: its header first, when that
   * spans reads too, then, its length checked, the rest. The gathering buffer, once full, is
   * handed out and forgotten (the PDU keeps it alive while queued; the next PDU that spans
   * reads gets a fresh one).
   */
  #complete(limit: number, limitText: () => string): Buffer | undefined {
    let length = pduLength(this.#gather!, 0, this.#gathered);
    while (length === undefined) {
      if (!this.#fill(this.#gathered < 2 ? 2 : 2 + (this.#gather![1]! & 0x7f))) return undefined;
      length = pduLength(this.#gather!, 0, this.#gathered);
    }
    if (length > limit) throw this.#tooLarge(length, limitText);
    if (!this.#fill(length)) return undefined;
    const pdu = this.#gather!;
    this.#budget.give(pdu.length);
    this.#charged -= pdu.length;
    this.#gather = undefined;
    this.#gathered = 0;
    this.#pduStart = 0;
    this.#pduEnd = length;
    return pdu;
  }

  /**
   * Copies bytes of the read into the gathering buffer until it holds `target` bytes, or the
   * read is exhausted; true when it holds them. The buffer grows by doubling, never past
   * `target` (at most the PDU's length: a large PDU ends up exactly in its own buffer).
   */
  #fill(target: number): boolean {
    let gather = this.#gather!;
    const chunk = this.#chunk;
    const count = Math.min(target - this.#gathered, chunk.length - this.#offset);
    if (count <= 0) return this.#gathered === target;
    const filled = this.#gathered + count;
    if (filled > gather.length) {
      const size = Math.min(Math.max(filled, 2 * gather.length), target);
      this.#charge(size + chunk.length - this.#offset - count);
      const grown = Buffer.allocUnsafe(size);
      gather.copy(grown, 0, 0, this.#gathered);
      gather = this.#gather = grown;
    } else {
      this.#budget.give(count);
      this.#charged -= count;
    }
    chunk.copy(gather, this.#gathered, this.#offset, this.#offset + count);
    this.#gathered = filled;
    if (this.#offset + count === chunk.length) {
      this.#chunk = EMPTY;
      this.#offset = 0;
    } else {
      this.#offset += count;
    }
    return filled === target;
  }

  /** Forgets everything held (the connection closed, or changes to TLS). */
  clear(): void {
    this.#budget.give(this.#charged);
    this.#charged = 0;
    this.#chunk = EMPTY;
    this.#offset = 0;
    this.#gather = undefined;
    this.#gathered = 0;
  }

  #tooLarge(length: number, limitText: () => string): PduRefusal {
    return new PduRefusal(this.#codes.tooLarge, `message of ${length} bytes exceeds ${limitText()}`, length);
  }

  /** Charges the budget for holding `size` bytes in all (more or less than what is charged now). */
  #charge(size: number): void {
    const more = size - this.#charged;
    if (!this.#budget.take(more)) {
      throw new PduRefusal(this.#codes.budget, `the server holds ${Math.round(this.#budget.limit / 1048576)} MiB of incomplete requests; try again later`);
    }
    this.#charged = size;
  }
}
