/**
 * One LDAP connection driving a closed loop: one operation outstanding at a time, as ldclt's
 * threads do, so throughput is concurrency over latency and the two servers see the same
 * offered load. Responses are framed by the protocol's framer (PduFramer: read in place where
 * they arrived) and only skimmed (message type and result code, entries counted), never
 * decoded into objects. Beside that loop it can hold live searches (RFC 4533
 * refreshAndPersist, the live-update workloads' watchers), whose messages go to their own
 * handler as they arrive.
 */
import { Socket, connect } from 'node:net';
import { message, Op, PartialBudget, PduFramer, readTlv, readTlvInto, tlvHolder, type ResponseControl } from '../src/protocol/index.js';

/**
 * How an operation ended: its result code, for searches the entries received, and the final
 * response's whole PDU (its controls: a paged search's cookie), valid only during the call and
 * absent when the connection was lost.
 */
export type Done = (code: number, entries: number, final?: Buffer) => void;

/**
 * Gets each message of a live search, read in place: the buffer that holds it, the tag and
 * bounds of its protocol operation in that buffer (both valid only during the call: the
 * connection reuses them), and where the message starts and ends there. No view of each
 * message is made: a watcher process reads hundreds of thousands of messages a second on the
 * cores the server uses.
 */
export type LiveHandler = (buffer: Buffer, op: { tag: number; start: number; end: number }, start: number, end: number) => void;

/** Result code used when the connection ended before the answer (not an LDAP code). */
export const CONNECTION_LOST = -1;

/** The result code of a response whose LDAPResult is at `op` in `pdu` (signed: -1 is {@link CONNECTION_LOST}). */
export function resultCode(pdu: Buffer, op: { start: number; end: number }): number {
  const code = readTlv(pdu, op.start, op.end);
  return code.end > code.start ? pdu.readIntBE(code.start, Math.min(4, code.end - code.start)) : 0;
}

/**
 * The largest response a load connection accepts: far more than any the benchmark asks for
 * (an entry with its conference blob is a few KiB); a larger one is a broken server.
 */
const MAX_RESPONSE = 16 * 1024 * 1024;

/** What a connection's framer may hold between reads: a largest response being gathered and a read beyond it. */
const FRAMER_BUDGET = 2 * MAX_RESPONSE + 1024 * 1024;

/** Refusal codes the framer is given: unused, a refusal ends the benchmark with its message. */
const REFUSED = { tooLarge: 0, budget: 0 };

const maxResponseText = (): string => `the benchmark's limit of ${MAX_RESPONSE} bytes`;

/** The contents of a SearchResultDone with result code -1, what live handlers get when the connection is lost. */
const LOST_PDU = Buffer.from([0x0a, 0x01, 0xff]);

/**
 * Where {@link LoadConnection}'s messages are read into, reused from one to the next (a
 * connection's handlers run one at a time and keep none of them).
 */
const ENVELOPE = tlvHolder();
const ID = tlvHolder();
const OP = tlvHolder();

export class LoadConnection {
  readonly #socket: Socket;
  /** The protocol's framer, with a budget of its own: PDUs that arrive whole in a read are read in place. */
  readonly #framer = new PduFramer(new PartialBudget(FRAMER_BUDGET), REFUSED);
  #nextId = 1;
  #done: Done | undefined;
  #entries = 0;
  /** The entry PDUs of the operation in flight, when its caller keeps them ({@link LoadConnection.search}). */
  #kept: Buffer[] | undefined;
  #closed = false;
  readonly #live = new Map<number, LiveHandler>();
  #receivedAt = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    // Requests are single small writes; without this each would wait for the previous ACK.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => undefined); // 'close' follows and fails the operation in flight
    socket.on('close', () => {
      this.#closed = true;
      this.#finish(CONNECTION_LOST);
      for (const handler of this.#live.values()) handler(LOST_PDU, { tag: Op.searchResultDone, start: 0, end: LOST_PDU.length }, 0, LOST_PDU.length);
      this.#live.clear();
    });
  }

  /** Connects to host:port (127.0.0.1 only: the benchmark never targets another machine). */
  static open(port: number, host = '127.0.0.1'): Promise<LoadConnection> {
    if (host !== '127.0.0.1') throw new Error(`the benchmark only targets 127.0.0.1, not ${host}`);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new LoadConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * When the data being handled was read from the socket (epoch ms, performance.timeOrigin +
   * performance.now()): taken once per read while live searches are open, so every message
   * of one read has the time it arrived, however long the ones before it took to handle.
   */
  get receivedAt(): number {
    return this.#receivedAt;
  }

  /** Sends a pre-encoded protocol operation (with request controls); `done` runs when its final response arrives. */
  send(op: Buffer, done: Done, controls: readonly ResponseControl[] = []): void {
    if (this.#done) throw new Error('one operation at a time on a load connection');
    if (this.#closed) {
      done(CONNECTION_LOST, 0);
      return;
    }
    this.#done = done;
    this.#entries = 0;
    this.#socket.write(message(this.#takeId(), op, controls));
  }

  /** The same as a promise, for setup steps (binds, the loader); `final` is a copy of the final response. */
  request(op: Buffer, controls: readonly ResponseControl[] = []): Promise<{ code: number; entries: number; final?: Buffer }> {
    return new Promise((resolve) => this.send(op, (code, entries, final) => resolve({ code, entries, ...(final ? { final: Buffer.from(final) } : {}) }), controls));
  }

  /** A search whose entries are kept (copies of their PDUs), for the few setup steps that read them. */
  search(op: Buffer): Promise<{ code: number; entries: Buffer[] }> {
    const kept: Buffer[] = [];
    return new Promise((resolve) => {
      this.send(op, (code) => resolve({ code, entries: kept }));
      this.#kept = kept;
    });
  }

  /**
   * Starts a search that stays open (a live search), with request controls (RFC 4511 §4.1.11;
   * sent non-critical): every message answering it goes to `handler`, its final
   * SearchResultDone too (a lost connection is one with result code -1). It runs beside the
   * one-at-a-time operations. Returns its message id.
   */
  live(op: Buffer, controls: readonly ResponseControl[], handler: LiveHandler): number {
    const id = this.#takeId();
    this.#live.set(id, handler);
    this.#socket.write(message(id, op, controls));
    return id;
  }

  #takeId(): number {
    const id = this.#nextId;
    this.#nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }

  #finish(code: number, final?: Buffer): void {
    const done = this.#done;
    if (!done) return;
    this.#done = undefined;
    this.#kept = undefined;
    done(code, this.#entries, final);
  }

  #receive(chunk: Buffer): void {
    if (this.#live.size > 0) this.#receivedAt = performance.timeOrigin + performance.now();
    const framer = this.#framer;
    framer.push(chunk);
    for (let buffer = framer.locate(MAX_RESPONSE, maxResponseText); buffer !== undefined; buffer = framer.locate(MAX_RESPONSE, maxResponseText)) {
      this.#message(buffer, framer.pduStart, framer.pduEnd);
    }
  }

  /** Handles the LDAPMessage at `start`..`end` of `buffer`. */
  #message(buffer: Buffer, start: number, end: number): void {
    const id = readTlvInto(ID, buffer, readTlvInto(ENVELOPE, buffer, start, end).start, end);
    const op = readTlvInto(OP, buffer, id.end, end);
    const idLength = id.end - id.start;
    if (this.#live.size > 0) {
      let messageId = idLength <= 4 ? 0 : -1;
      for (let at = id.start; messageId >= 0 && at < id.end; at += 1) messageId = messageId * 256 + buffer[at]!;
      const handler = this.#live.get(messageId);
      if (handler) {
        if (op.tag === Op.searchResultDone) this.#live.delete(messageId);
        handler(buffer, op, start, end);
        return;
      }
    }
    if (op.tag === Op.searchResultEntry) {
      this.#entries += 1;
      this.#kept?.push(Buffer.from(buffer.subarray(start, end)));
      return;
    }
    if (op.tag === 0x73) return; // a search reference: not an answer yet
    // Every other response starts with its LDAPResult: resultCode ENUMERATED.
    const code = readTlv(buffer, op.start, op.end);
    const value = buffer[code.start] ?? 0;
    // messageID 0 is the unsolicited notice of disconnection: the server is closing.
    this.#finish(idLength === 1 && buffer[id.start] === 0 ? CONNECTION_LOST : value, buffer.subarray(start, end));
  }
}
