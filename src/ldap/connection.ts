/**
 * One client connection: frames PDUs from the socket, queues them and answers them in
 * order, writes with back-pressure, switches to TLS on StartTLS, and ends only itself when
 * the client sends garbage. What each operation does on the wire is in src/ldap/operations,
 * dispatched from {@link HANDLERS}; errors they throw are encoded here.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { OperationError, type Identity } from '../directory/index.js';
import { unsupportedCritical } from './controls.js';
import { HANDLERS, type Handler } from './operations/index.js';
import {
  BerError,
  decodeEnvelope,
  message,
  NOTICE_OF_DISCONNECTION_OID,
  Op,
  pduLength,
  RESPONSE_OF,
  ResultCode,
  STARTTLS_OID,
  type Envelope,
  type ResponseControl,
} from '../protocol/index.js';
import { extendedResponseOp, resultOp } from './responses.js';
import { decodeRequest, RequestError, type LdapRequest } from './requests.js';
import type { ConnectionServices, Session } from './session.js';

/** Serves one socket. */
export class Connection implements Session {
  readonly services: ConnectionServices;
  readonly peer: string;
  readonly address: string;
  identity: Identity;
  #socket: Socket;
  #secure: boolean;
  #pending: Buffer[] = [];
  readonly #queue: Envelope[] = [];
  #busy = false;
  #closed = false;
  readonly #abandoned = new Set<number>();
  /** Resolves when the socket has drained (back-pressure). */
  #drain: Promise<void> | undefined;
  #drainResolve: (() => void) | undefined;
  /** Resolves when the socket closes, ending any wait for it to drain. */
  readonly #gone: Promise<void>;
  #goneResolve!: () => void;
  /** Resolves when the queue is empty (for graceful shutdown). */
  #idle: (() => void) | undefined;
  /** The socket corked by a search in progress, flushed whenever back-pressure makes writing wait. */
  #corked: Socket | undefined;

  constructor(socket: Socket, services: ConnectionServices, secure: boolean) {
    this.#gone = new Promise<void>((resolve) => (this.#goneResolve = resolve));
    this.#socket = socket;
    this.#secure = secure;
    this.services = services;
    this.address = socket.remoteAddress ?? '';
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.identity = services.directory.anonymous(this.address);
    socket.setNoDelay(true);
    socket.on('close', () => {
      this.#closed = true;
      this.#idle?.();
      this.#goneResolve();
    });
    if (services.limits.idleTimeoutMs > 0) {
      socket.setTimeout(services.limits.idleTimeoutMs, () => {
        if (this.#busy || this.#queue.length > 0) return;
        this.#end(ResultCode.unavailable, `idle for ${Math.round(services.limits.idleTimeoutMs / 1000)} s`);
      });
    }
    this.#attach(socket);
  }

  /** Listens to the socket that carries LDAP (the TCP socket, or TLS over it after StartTLS). */
  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => {
      if (!this.#closed) this.services.log.info(`connection ${this.peer}: ${error.message}`);
      this.#closed = true;
      socket.destroy();
    });
    socket.on('drain', () => {
      const resolve = this.#drainResolve;
      this.#drain = undefined;
      this.#drainResolve = undefined;
      resolve?.();
    });
  }

  get secure(): boolean {
    return this.#secure;
  }

  /** Finishes what is in progress, tells the client, and closes. */
  async shutdown(): Promise<void> {
    if (!this.#closed && (this.#busy || this.#queue.length > 0)) {
      await new Promise<void>((resolve) => (this.#idle = resolve));
    }
    if (!this.#closed) {
      this.#socket.end(message(0, extendedResponseOp(ResultCode.unavailable, 'the server is shutting down', NOTICE_OF_DISCONNECTION_OID)));
      this.#closed = true;
    }
  }

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#socket.end();
  }

  /** Ends the connection after a protocol violation, with a notice of disconnection. */
  #disconnect(reason: string): void {
    this.#end(ResultCode.protocolError, reason);
  }

  /** Sends a notice of disconnection (RFC 4511 §4.4.1), logs why, and closes. */
  #end(code: number, reason: string): void {
    if (this.#closed) return;
    this.services.log.info(`connection ${this.peer}: disconnected: ${reason}`);
    this.#closed = true;
    this.#queue.length = 0;
    this.#socket.end(message(0, extendedResponseOp(code, reason, NOTICE_OF_DISCONNECTION_OID)));
    this.#socket.destroySoon?.();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    this.#pending.push(chunk);
    let buffer = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const { maxPduBytes, maxPending } = this.services.limits;
    try {
      for (;;) {
        if (buffer.length > 0 && buffer[0] !== 0x30) throw new BerError('a message must start with a SEQUENCE');
        const length = pduLength(buffer);
        if (length !== undefined && length > maxPduBytes) {
          throw new BerError(`message of ${length} bytes exceeds the limit of ${maxPduBytes}`);
        }
        if (length === undefined || buffer.length < length) break;
        const envelope = decodeEnvelope(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        if (envelope.op.tag === Op.abandonRequest) {
          this.#abandonNow(envelope);
          continue;
        }
        if (this.#queue.length >= maxPending) {
          this.services.log.info(`connection ${this.peer}: busy: more than ${maxPending} operations outstanding`);
          void this.respond(envelope, ResultCode.busy, `more than ${maxPending} operations are outstanding on this connection`);
          continue;
        }
        this.#queue.push(envelope);
      }
    } catch (error) {
      this.#disconnect(error instanceof BerError ? `malformed message: ${error.message}` : String(error));
      return;
    }
    this.#pending = buffer.length > 0 ? [buffer] : [];
    void this.#pump();
  }

  /** An abandon is handled as it arrives, not queued behind what it abandons. */
  #abandonNow(envelope: Envelope): void {
    let request: LdapRequest;
    try {
      request = decodeRequest(envelope);
    } catch {
      // An undecodable abandon has nothing to abandon and gets no response (RFC 4511 §4.11).
      return;
    }
    if (request.type === 'abandon') void HANDLERS.abandon(this, envelope, request);
  }

  abandon(messageId: number): void {
    this.#abandoned.add(messageId);
  }

  get gone(): Promise<void> {
    return this.#gone;
  }

  cancelled(messageId: number): boolean {
    return this.#abandoned.delete(messageId) || this.#closed;
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const envelope = this.#queue.shift()!;
        await this.#handle(envelope);
      }
    } finally {
      this.#busy = false;
      if (this.#queue.length === 0) {
        this.#idle?.();
        if (!this.#closed) this.services.poller.idle(this);
      }
    }
  }

  async write(bytes: Buffer): Promise<void> {
    const full = this.writeOrWait(bytes);
    if (full) await full;
  }

  writeOrWait(bytes: Buffer): Promise<void> | undefined {
    if (this.#closed) return undefined;
    if (!this.#socket.write(bytes) && !this.#drain) {
      this.#drain = new Promise<void>((resolve) => (this.#drainResolve = resolve));
    }
    return this.#drain ? this.#waitForDrain() : undefined;
  }

  async #waitForDrain(): Promise<void> {
    // Corked data is not sent, so the socket would never drain: flush it while waiting.
    this.#corked?.uncork();
    await Promise.race([this.#drain, this.#gone]);
    this.#corked?.cork();
  }

  cork(): void {
    this.#corked = this.#socket;
    this.#corked.cork();
  }

  uncork(): void {
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  }

  respond(envelope: Envelope, code: number, diagnostic = '', matchedDn = '', controls: ResponseControl[] = []): Promise<void> {
    const tag = RESPONSE_OF[envelope.op.tag];
    if (tag === undefined) return Promise.resolve();
    const op = tag === Op.extendedResponse ? extendedResponseOp(code, diagnostic) : resultOp(tag, code, diagnostic, matchedDn);
    return this.write(message(envelope.messageId, op, controls));
  }

  async #handle(envelope: Envelope): Promise<void> {
    let request: LdapRequest;
    try {
      request = decodeRequest(envelope);
    } catch (error) {
      // RFC 4511 §4.1.1: a request whose encoding is wrong ends the session with a notice.
      if (error instanceof RequestError) return this.#disconnect(error.message);
      if (error instanceof OperationError) return this.respond(envelope, error.code, error.message, error.matchedDN);
      throw error;
    }
    const critical = unsupportedCritical(envelope.controls, request.type === 'search');
    if (critical && request.type !== 'unbind') {
      return this.respond(envelope, ResultCode.unavailableCriticalExtension, `critical control ${critical.oid} is not supported`);
    }
    try {
      await (HANDLERS[request.type] as Handler)(this, envelope, request);
    } catch (error) {
      if (error instanceof OperationError) {
        // Not the request's doing (the storage failed): the operator hears of it too.
        if (error.cause !== undefined) this.services.log.warn(`connection ${this.peer}: ${error.message} (${error.cause instanceof Error ? error.cause.message : String(error.cause)})`);
        return this.respond(envelope, error.code, error.message, error.matchedDN);
      }
      if (error instanceof BerError || error instanceof RequestError) return this.respond(envelope, ResultCode.protocolError, error.message);
      this.services.log.warn(`connection ${this.peer}: internal error: ${(error as Error).stack ?? String(error)}`);
      return this.respond(envelope, ResultCode.operationsError, 'internal server error');
    }
  }

  async startTls(envelope: Envelope): Promise<void> {
    const context = this.services.tls;
    if (!context) return this.respond(envelope, ResultCode.protocolError, 'StartTLS is not available: the server has no certificate (--tls-cert, --tls-key)');
    if (this.#secure) return this.respond(envelope, ResultCode.operationsError, 'TLS is already established on this connection');
    if (this.#queue.length > 0) return this.respond(envelope, ResultCode.operationsError, 'operations are outstanding; StartTLS must be sent alone');
    await this.write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', STARTTLS_OID)));
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('drain');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.#socket = secure;
    this.#secure = true;
    this.#attach(secure);
  }
}
