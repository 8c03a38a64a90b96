/**
 * One LDAP connection driving a closed loop: one operation outstanding at a time, as ldclt's
 * threads do, so throughput is concurrency over latency and the two servers see the same
 * offered load. Responses are framed and only skimmed (message type and result code, entries
 * counted), never decoded into objects.
 */
import { Socket, connect } from 'node:net';
import { message, Op, pduLength, readTlv } from '../src/protocol/index.js';

/** How an operation ended: its result code and, for searches, the entries received. */
export type Done = (code: number, entries: number) => void;

/** Result code used when the connection ended before the answer (not an LDAP code). */
export const CONNECTION_LOST = -1;

export class LoadConnection {
  readonly #socket: Socket;
  #pending: Buffer | undefined;
  #nextId = 1;
  #done: Done | undefined;
  #entries = 0;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    // Requests are single small writes; without this each would wait for the previous ACK.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => undefined); // 'close' follows and fails the operation in flight
    socket.on('close', () => {
      this.#closed = true;
      this.#finish(CONNECTION_LOST);
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

  /** Sends a pre-encoded protocol operation; `done` runs when its final response arrives. */
  send(op: Buffer, done: Done): void {
    if (this.#done) throw new Error('one operation at a time on a load connection');
    if (this.#closed) {
      done(CONNECTION_LOST, 0);
      return;
    }
    this.#done = done;
    this.#entries = 0;
    const id = this.#nextId;
    this.#nextId = id >= 0x7fffffff ? 1 : id + 1;
    this.#socket.write(message(id, op));
  }

  /** The same as a promise, for setup steps (binds, the loader). */
  request(op: Buffer): Promise<{ code: number; entries: number }> {
    return new Promise((resolve) => this.send(op, (code, entries) => resolve({ code, entries })));
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }

  #finish(code: number): void {
    const done = this.#done;
    if (!done) return;
    this.#done = undefined;
    done(code, this.#entries);
  }

  #receive(chunk: Buffer): void {
    let buffer = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const view = offset === 0 ? buffer : buffer.subarray(offset);
      const length = pduLength(view);
      if (length === undefined || length > view.length) break;
      this.#message(view, length);
      offset += length;
    }
    if (offset < buffer.length) {
      buffer = buffer.subarray(offset);
      // Copy a small remainder so that the big chunk it came from can be collected.
      this.#pending = buffer.length < 4096 ? Buffer.from(buffer) : buffer;
    } else {
      this.#pending = undefined;
    }
  }

  /** Handles one LDAPMessage at the start of `pdu`. */
  #message(pdu: Buffer, length: number): void {
    const envelope = readTlv(pdu, 0, length);
    const id = readTlv(pdu, envelope.start, length);
    const op = readTlv(pdu, id.end, length);
    if (op.tag === Op.searchResultEntry) {
      this.#entries += 1;
      return;
    }
    if (op.tag === 0x73) return; // a search reference: not an answer yet
    // Every other response starts with its LDAPResult: resultCode ENUMERATED.
    const code = readTlv(pdu, op.start, op.end);
    const value = pdu[code.start] ?? 0;
    // messageID 0 is the unsolicited notice of disconnection: the server is closing.
    this.#finish(id.end - id.start === 1 && pdu[id.start] === 0 ? CONNECTION_LOST : value);
  }
}
