/**
 * One client connection: frames PDUs from the socket, queues them and answers them in
 * order, writes with back-pressure, switches to TLS on StartTLS, and ends only itself when
 * the client sends garbage. What each operation does on the wire is in src/ldap/operations,
 * dispatched from {@link HANDLERS}; errors they throw are encoded here.
 *
 * Memory per connection is bounded: with {@link ConnectionLimits.maxPending} operations (or
 * a PDU limit's worth of bytes) queued, the connection stops reading its socket until one is
 * done, so a client that pipelines without reading fills its own TCP window, not the
 * server's heap; every response waits for the socket to drain; an incomplete PDU must
 * arrive within a deadline and at a minimum rate ({@link Connection.tick}), in a buffer
 * charged to the process's {@link PartialBudget}.
 */
import type { Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { TLSSocket } from 'node:tls';
import { OperationError, type Identity } from '../directory/index.js';
import { unsupportedCritical } from './controls.js';
import { MessageBatch, PduFramer, PduRefusal } from '../protocol/index.js';
import { endOfTurn, writeSlabs } from './batch-writes.js';
import type { LiveEnd, LiveSearch } from './live-count.js';
import { HANDLERS, type Handler } from './operations/index.js';
import {
  BerError,
  decodeEnvelope,
  message,
  NOTICE_OF_DISCONNECTION_OID,
  Op,
  RESPONSE_OF,
  ResultCode,
  STARTTLS_OID,
  type Envelope,
  type ResponseControl,
} from '../protocol/index.js';
import { extendedResponseOp, resultOp } from './responses.js';
import { decodeRequest, RequestError, type LdapRequest } from './requests.js';
import { PDU_RATE_GRACE_MS, type ConnectionServices, type Session } from './session.js';

/**
 * Runs `socket` through a TLS handshake as the server; calls `secure` when it is done, or
 * destroys the socket when it fails or takes longer than `timeoutMs` (a client that opens
 * connections and never finishes their handshakes holds nothing for long).
 */
export function serveTls(raw: Socket, services: Pick<ConnectionServices, 'tls' | 'clientLog'>, timeoutMs: number, secure: (socket: TLSSocket) => void): TLSSocket {
  const address = raw.remoteAddress ?? '';
  const peer = `${address}:${raw.remotePort ?? '?'}`;
  const socket = new TLSSocket(raw, { isServer: true, secureContext: services.tls! });
  const timer = setTimeout(() => {
    services.clientLog.errors.note(address, `connection ${peer}: TLS handshake not done within ${timeoutMs / 1000} s`);
    socket.destroy();
  }, timeoutMs);
  const failed = (error: Error): void => {
    clearTimeout(timer);
    services.clientLog.errors.note(address, `connection ${peer}: TLS handshake failed: ${error.message.trim()}`);
    socket.destroy();
  };
  socket.once('error', failed);
  socket.once('close', () => clearTimeout(timer));
  socket.once('secure', () => {
    clearTimeout(timer);
    socket.off('error', failed);
    secure(socket);
  });
  return socket;
}

/**
 * Bytes of queued messages ({@link Connection.sendMessage}) written at once before the turn
 * ends: large enough that one write carries many live searches' changes, small enough that a
 * slow client's socket fills (and back-pressure starts) before much is held here.
 */
const BATCH_BYTES = 64 * 1024;

/** How long a shutdown waits for a connection's queued operations to be answered. */
const SHUTDOWN_GRACE_MS = 5000;

/** Serves one socket. */
export class Connection implements Session {
  readonly services: ConnectionServices;
  readonly peer: string;
  readonly address: string;
  identity: Identity;
  #socket: Socket;
  #secure: boolean;
  readonly #framer: PduFramer;
  readonly #queue: Envelope[] = [];
  /** Bytes of the PDUs in {@link #queue}. */
  #queuedBytes = 0;
  /** Whether reading the socket is paused because the queue is full. */
  #paused = false;
  #busy = false;
  #closed = false;
  /** The server is shutting down: nothing more is read. */
  #stopping = false;
  /** The message id of the operation being handled, and whether the client abandoned it. */
  #current: number | undefined;
  #currentAbandoned = false;
  /** Complete PDUs received; {@link tick} compares it with what it saw last. */
  #requests = 0;
  #requestsSeen = 0;
  /** When the connection last had a request or work (for the idle timeout). */
  #activeAt = Date.now();
  /** When the incomplete PDU held now began to arrive (undefined: none held). */
  #partialSince: number | undefined;
  /** Resolves when the socket has drained (back-pressure). */
  #drain: Promise<void> | undefined;
  #drainResolve: (() => void) | undefined;
  /** Since when writing has waited for the socket to drain. */
  #drainSince = 0;
  /** Resolves when the socket closes, ending any wait for it to drain. */
  readonly #gone: Promise<void>;
  #goneResolve!: () => void;
  /** Resolves when the queue is empty (for graceful shutdown). */
  #idle: (() => void) | undefined;
  /** The socket corked by a search in progress, flushed whenever back-pressure makes writing wait. */
  #corked: Socket | undefined;
  /** Live searches by message id, running outside the queue (src/ldap/live.ts). */
  readonly #live = new Map<number, LiveSearch>();

  constructor(socket: Socket, services: ConnectionServices, secure: boolean) {
    this.#gone = new Promise<void>((resolve) => (this.#goneResolve = resolve));
    this.#socket = socket;
    this.#secure = secure;
    this.services = services;
    this.address = socket.remoteAddress ?? '';
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.identity = services.directory.anonymous(this.address);
    this.#framer = new PduFramer(services.partialBudget, { tooLarge: ResultCode.protocolError, budget: ResultCode.busy });
    socket.setNoDelay(true);
    socket.on('close', () => {
      this.#closed = true;
      this.#endAllLive();
      this.#queue.length = 0;
      this.#framer.clear();
      this.#idle?.();
      this.#goneResolve();
    });
    this.#attach(socket);
  }

  /**
   * Enforces the deadlines; the listener calls it about once a second. Ends a connection
   * idle for the idle timeout (no complete request and nothing to do: trickled bytes do not
   * count), one whose incomplete PDU is late or slower than the minimum rate, and one whose
   * client has read nothing for the idle timeout while the server waits to write to it.
   */
  tick(now: number): void {
    if (this.#closed) return;
    const { idleTimeoutMs, pduTimeoutMs, minPduRate } = this.services.limits;
    // A connection that holds a live search waits for changes, as the client asked: not idle.
    if (this.#requests !== this.#requestsSeen || this.#busy || this.#queue.length > 0 || this.#live.size > 0) {
      this.#requestsSeen = this.#requests;
      this.#activeAt = now;
    }
    if (this.#drain !== undefined && idleTimeoutMs > 0 && now - this.#drainSince >= idleTimeoutMs) {
      this.services.clientLog.disconnected.note(this.address, `connection ${this.peer}: disconnected: read nothing for ${Math.round(idleTimeoutMs / 1000)} s while answers waited`);
      this.#closed = true;
      this.#socket.destroy();
      return;
    }
    if (this.#partialSince !== undefined && !this.#paused) {
      const elapsed = now - this.#partialSince;
      if (elapsed >= pduTimeoutMs) {
        return this.#end(ResultCode.protocolError, `a request was not complete within ${pduTimeoutMs / 1000} s`);
      }
      if (elapsed >= PDU_RATE_GRACE_MS && this.#framer.held < (minPduRate * elapsed) / 1000) {
        return this.#end(ResultCode.protocolError, `a request arrived slower than ${minPduRate} bytes a second`);
      }
    }
    if (idleTimeoutMs > 0 && now - this.#activeAt >= idleTimeoutMs) {
      this.#end(ResultCode.unavailable, `idle for ${Math.round(idleTimeoutMs / 1000)} s`);
    }
  }

  /** Listens to the socket that carries LDAP (the TCP socket, or TLS over it after StartTLS). */
  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => {
      if (!this.#closed) this.services.clientLog.errors.note(this.address, `connection ${this.peer}: ${error.message}`);
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
    // Requests not yet read or framed are not served; the queued ones are, for a while. The
    // socket is read on (what comes is dropped), so that the client's end is seen.
    this.#stopping = true;
    this.#endAllLive();
    this.#framer.clear();
    this.#unpause();
    if (!this.#closed && (this.#busy || this.#queue.length > 0)) {
      const idle = new Promise<void>((resolve) => (this.#idle = resolve));
      if ((await Promise.race([idle.then(() => true), sleep(SHUTDOWN_GRACE_MS).then(() => false)])) === false) {
        // A client that does not read its answers does not hold the server up.
        this.#closed = true;
        this.#socket.destroy();
      }
    }
    if (!this.#closed) {
      this.#socket.end(message(0, extendedResponseOp(ResultCode.unavailable, 'the server is shutting down', NOTICE_OF_DISCONNECTION_OID)));
      this.#closed = true;
    }
  }

  close(): void {
    this.#endAllLive();
    this.#closed = true;
    this.#queue.length = 0;
    this.#framer.clear();
    // Read on, so that the client's end of the connection is seen and the socket closes.
    this.#unpause();
    this.#socket.end();
  }

  #unpause(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket.resume();
  }

  /** Ends the connection after a protocol violation, with a notice of disconnection. */
  #disconnect(reason: string): void {
    this.#end(ResultCode.protocolError, reason);
  }

  /** Sends a notice of disconnection (RFC 4511 §4.4.1), logs why, and closes. */
  #end(code: number, reason: string): void {
    if (this.#closed) return;
    this.services.clientLog.disconnected.note(this.address, `connection ${this.peer}: disconnected: ${reason}`);
    this.#closed = true;
    this.#queue.length = 0;
    this.#framer.clear();
    this.#socket.end(message(0, extendedResponseOp(code, reason, NOTICE_OF_DISCONNECTION_OID)));
    this.#socket.destroySoon?.();
  }

  /** The largest PDU accepted now: smaller until the client binds (slapd's sockbuf_max_incoming). */
  #pduLimit(): number {
    const { maxPduBytes, maxAnonymousPduBytes } = this.services.limits;
    return this.identity.dn === '' ? Math.min(maxAnonymousPduBytes, maxPduBytes) : maxPduBytes;
  }

  readonly #limitText = (): string => {
    const limit = this.#pduLimit();
    return `the limit of ${limit} bytes${limit < this.services.limits.maxPduBytes ? ' for a client that has not bound' : ''}`;
  };

  #receive(chunk: Buffer): void {
    if (this.#closed || this.#stopping) return;
    try {
      this.#framer.push(chunk);
    } catch (error) {
      return this.#refuse(error);
    }
    this.#frame();
  }

  /**
   * Moves complete PDUs from the framer to the queue while the queue has room, and pauses
   * reading the socket while it has none (resumed as the queue empties).
   */
  #frame(): void {
    if (this.#stopping) return;
    const { maxPending } = this.services.limits;
    const limit = this.#pduLimit();
    let framed = false;
    try {
      while (this.#queue.length < maxPending && this.#queuedBytes < limit) {
        const pdu = this.#framer.next(limit, this.#limitText);
        if (pdu === undefined) break;
        framed = true;
        this.#requests += 1;
        const envelope = decodeEnvelope(pdu);
        if (envelope.op.tag === Op.abandonRequest) {
          this.#abandonNow(envelope);
          continue;
        }
        this.#queue.push(envelope);
        this.#queuedBytes += pdu.length;
      }
    } catch (error) {
      return this.#refuse(error);
    }
    const full = this.#queue.length >= maxPending || this.#queuedBytes >= limit;
    // The clock of an incomplete PDU starts with its first bytes, or when the server reads
    // again after a pause (while it does not read, the client cannot be late).
    if (this.#framer.held === 0) this.#partialSince = undefined;
    else if (framed || (this.#paused && !full) || this.#partialSince === undefined) this.#partialSince = Date.now();
    if (full !== this.#paused) {
      this.#paused = full;
      if (full) this.#socket.pause();
      else this.#socket.resume();
    }
    // Only with something to answer: an idle pump would start busy polling (busy-poll.ts).
    if (this.#queue.length > 0) void this.#pump();
  }

  /** Ends the connection for bytes that are not a PDU it accepts. */
  #refuse(error: unknown): void {
    if (error instanceof PduRefusal) return this.#end(error.code, error.message);
    this.#disconnect(error instanceof BerError ? `malformed message: ${error.message}` : String(error));
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

  /**
   * An abandoned operation still queued is dropped; the one in progress stops at its next
   * check. An abandon of anything else is ignored: nothing is kept for it.
   */
  abandon(messageId: number): void {
    if (this.#live.has(messageId)) {
      void this.endLive(messageId, 'abandon');
      return;
    }
    if (messageId === this.#current) {
      this.#currentAbandoned = true;
      return;
    }
    // Only searches are dropped: a write the client gave up on has been answered so far.
    const index = this.#queue.findIndex((e) => e.messageId === messageId && e.op.tag === Op.searchRequest);
    if (index < 0) return;
    this.#queuedBytes -= this.#queue[index]!.pdu.length;
    this.#queue.splice(index, 1);
  }

  get liveSearches(): number {
    return this.#live.size;
  }

  addLive(messageId: number, live: LiveSearch): void {
    this.#live.set(messageId, live);
  }

  removeLive(messageId: number): void {
    this.#live.delete(messageId);
  }

  async endLive(messageId: number, why: LiveEnd): Promise<boolean> {
    const live = this.#live.get(messageId);
    if (!live) return false;
    this.#live.delete(messageId);
    await live.end(why);
    return true;
  }

  #endAllLive(): void {
    for (const id of [...this.#live.keys()]) void this.endLive(id, 'closed');
  }

  get gone(): Promise<void> {
    return this.#gone;
  }

  cancelled(messageId: number): boolean {
    return (messageId === this.#current && this.#currentAbandoned) || this.#closed;
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    let handled = 0;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        if (++handled > this.services.limits.maxPending) {
          // A long pipeline takes turns with the other connections.
          handled = 0;
          await nextTurn();
          if (this.#queue.length === 0 || this.#closed) break;
        }
        const envelope = this.#queue.shift()!;
        this.#queuedBytes -= envelope.pdu.length;
        if (this.#paused) this.#frame();
        this.#current = envelope.messageId;
        this.#currentAbandoned = false;
        try {
          await this.#handle(envelope);
        } finally {
          this.#current = undefined;
        }
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
    // Messages queued for the end of the turn go first: a connection's messages keep their order.
    this.#flushBatch();
    this.#put(bytes);
    return this.#drain ? this.#waitForDrain() : undefined;
  }

  /** Writes to the socket, noting when it is full (back-pressure); `written` is the write's callback. */
  #put(bytes: Buffer, written?: () => void): void {
    if (!this.#socket.write(bytes, written) && !this.#drain) {
      this.#drain = new Promise<void>((resolve) => (this.#drainResolve = resolve));
      this.#drainSince = Date.now();
    }
  }

  /**
   * Messages queued by {@link sendMessage}, written at the end of the turn (with every other
   * connection's of this process: batch-writes.ts) or when large.
   */
  readonly #batch = new MessageBatch();
  #batchScheduled = false;
  readonly #endOfTurn = (): void => {
    this.#batchScheduled = false;
    this.#flushBatch();
  };

  sendMessage(messageId: number, body: Buffer): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#batch.add(messageId, body);
    if (this.#batch.bytes >= BATCH_BYTES) this.#flushBatch();
    else if (!this.#batchScheduled) {
      this.#batchScheduled = true;
      endOfTurn.defer(this.#endOfTurn);
    }
    return this.#drain ? this.#waitForDrain() : undefined;
  }

  #flushBatch(): void {
    const bytes = this.#batch.bytes;
    if (bytes === 0) return;
    if (this.#closed) return this.#batch.clear();
    // Carved from the process's slabs, which take it back once the socket has written it.
    const { buffer, written } = writeSlabs.take(bytes);
    this.#batch.writeTo(buffer);
    this.#put(buffer, written);
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
    if (!this.services.tls) return this.respond(envelope, ResultCode.protocolError, 'StartTLS is not available: the server has no certificate (--tls-cert, --tls-key)');
    if (this.#secure) return this.respond(envelope, ResultCode.operationsError, 'TLS is already established on this connection');
    if (this.#queue.length > 0 || this.#framer.held > 0) {
      // RFC 4511 §4.14.1: nothing may follow the request until TLS is established. Bytes that
      // did came in clear and may be a man in the middle's, to be answered inside the
      // protected session (the CVE-2011-0411 class): none is served, and, as slapd does, the
      // connection ends.
      return this.#end(ResultCode.protocolError, 'data followed the StartTLS request before TLS was established');
    }
    // From here every byte read belongs to the TLS handshake: the raw socket keeps what it
    // reads for the TLS socket, which takes it over.
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.pause();
    await this.write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', STARTTLS_OID)));
    if (this.#closed) return;
    raw.removeAllListeners('drain');
    this.#paused = false;
    // Until the handshake is done nothing is read; what is written waits for it.
    this.#socket = serveTls(raw, this.services, this.services.limits.handshakeTimeoutMs, (secure) => this.#attach(secure));
    this.#secure = true;
  }
}
