/**
 * The library's own LDAP connection, for what ldapts cannot do: a search that does not end
 * and answers with intermediate responses (RFC 4533 content synchronisation). It connects as
 * the {@link Directory} did (TCP; LDAPS for `ldaps://`; StartTLS first when the Directory
 * upgraded with it, with the same TLS options), binds as the Directory is bound, and then
 * hands out each message the server sends, decoded as an envelope. Messages are framed
 * with a size limit, and reading pauses while the reader is behind, so a fast server cannot
 * fill the client's memory (TCP then pushes back on the server).
 */
import { isIP, connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  decodeEnvelope,
  decodeResult,
  encodeExtendedRequest,
  encodeSimpleBind,
  encodeUnbindRequest,
  message,
  Op,
  RESPONSE_OF,
  STARTTLS_OID,
  type Envelope,
  type LdapResult,
  type ResponseControl,
} from '../protocol/index.js';
import { ConnectError, DirectoryError, ResultCode, socketReason } from './errors.js';
import { MessageFramer } from './message-framer.js';

/** Where and how to connect: what the Directory used for its own connection. */
export interface LiveTarget {
  /** `ldap://host:port` or `ldaps://host:port`. */
  readonly url: string;
  /** Upgrade an `ldap://` connection with StartTLS before anything else. */
  readonly startTls: boolean;
  readonly tls: ConnectionOptions | undefined;
  /** The identity to bind as; anonymous when undefined. */
  readonly credentials: { dn: string; password: string } | undefined;
  readonly connectTimeoutMs: number;
  /** Limit on the answer to StartTLS and the bind. */
  readonly timeoutMs: number;
  /** The largest message accepted from the server, in bytes. */
  readonly maxMessageSize: number;
}

/** Messages queued before reading from the socket pauses, and the count at which it resumes. */
const PAUSE_AT = 64;
const RESUME_AT = 16;

/** An open, bound connection. */
export class LiveConnection {
  readonly #target: LiveTarget;
  #socket: Socket;
  readonly #framer: MessageFramer;
  readonly #queue: Envelope[] = [];
  #wake: (() => void) | undefined;
  #failure: Error | undefined;
  #ended = false;
  #nextId = 1;

  private constructor(target: LiveTarget, socket: Socket) {
    this.#target = target;
    this.#framer = new MessageFramer(target.maxMessageSize);
    this.#socket = socket;
    // A watch can sit idle for hours: TCP keep-alives notice a peer that vanished.
    socket.setKeepAlive(true, 60_000);
    this.#listen(socket);
  }

  /**
   * Connects, upgrades with StartTLS when asked, and binds.
   *
   * @throws {@link ConnectError} when the server cannot be reached or TLS fails.
   * @throws {@link DirectoryError} when StartTLS or the bind is refused.
   */
  static async open(target: LiveTarget): Promise<LiveConnection> {
    const url = new URL(target.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'ldaps:';
    const port = Number(url.port || (secure ? 636 : 389));
    let connection: LiveConnection | undefined;
    try {
      const socket = await socketReady(secure ? connectTls({ port, ...tlsIdentity(host), ...target.tls }) : connectTcp({ host, port }), secure ? 'secureConnect' : 'connect', target.connectTimeoutMs);
      connection = new LiveConnection(target, socket);
      if (target.startTls && !secure) await connection.#startTls(host);
      const { dn, password } = target.credentials ?? { dn: '', password: '' };
      const bound = await connection.request(encodeSimpleBind(dn, password));
      if (bound.code !== ResultCode.success) throw new DirectoryError(bound.code, bound.diagnostic, dn || undefined);
      return connection;
    } catch (error) {
      connection?.destroy();
      if (error instanceof DirectoryError) throw error;
      const reason = socketReason(error);
      if (reason !== undefined) throw new ConnectError(target.url, reason, { cause: error });
      throw error;
    }
  }

  /** Sends an operation with a new message id; returns the id. */
  send(op: Buffer, controls: ReadonlyArray<ResponseControl & { critical?: boolean }> = []): number {
    const id = this.#nextId++;
    if (!this.#ended) this.#socket.write(message(id, op, controls));
    return id;
  }

  /**
   * The next message the server sent, or undefined once the connection is closed.
   *
   * @throws {@link DirectoryError} serverDown when the connection failed or the server sent something unreadable.
   */
  async next(): Promise<Envelope | undefined> {
    for (;;) {
      const envelope = this.#queue.shift();
      if (envelope) {
        if (this.#queue.length === RESUME_AT) this.#socket.resume();
        return envelope;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * Sends a request and waits for its result, within the target's timeout. Only for the
   * requests before the live search (StartTLS, bind): messages for other ids are dropped.
   */
  async request(op: Buffer): Promise<LdapResult> {
    const id = this.send(op);
    const expected = RESPONSE_OF[op[0]!];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DirectoryError(ResultCode.timeLimitExceeded, `no answer from ${this.#target.url} within ${this.#target.timeoutMs} ms`)), this.#target.timeoutMs);
    });
    try {
      for (;;) {
        const envelope = await Promise.race([this.next(), timeout]);
        if (!envelope) throw new DirectoryError(ResultCode.serverDown, `the server closed the connection`);
        if (envelope.messageId === id && envelope.op.tag === expected) return decodeResult(envelope.pdu, envelope.op);
        // A notice of disconnection (message id 0) ends the connection: report it.
        if (envelope.messageId === 0 && envelope.op.tag === Op.extendedResponse) {
          const notice = decodeResult(envelope.pdu, envelope.op);
          throw new DirectoryError(notice.code, notice.diagnostic);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Says goodbye (unbind) and closes. */
  close(): void {
    if (this.#ended) return;
    this.send(encodeUnbindRequest());
    this.#ended = true;
    this.#socket.end();
    this.#wakeReader();
  }

  /** Closes at once, without a word to the server. */
  destroy(): void {
    this.#ended = true;
    this.#socket.destroy();
    this.#wakeReader();
  }

  async #startTls(host: string): Promise<void> {
    const result = await this.request(encodeExtendedRequest(STARTTLS_OID));
    if (result.code !== ResultCode.success) throw new DirectoryError(result.code, result.diagnostic || 'the server refused StartTLS');
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = await socketReady(connectTls({ socket: plain, ...tlsIdentity(host), ...this.#target.tls }), 'secureConnect', this.#target.connectTimeoutMs);
    this.#socket = secure;
    this.#listen(secure);
  }

  #listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      let pdus: Buffer[];
      try {
        pdus = this.#framer.push(chunk);
        for (const pdu of pdus) this.#queue.push(decodeEnvelope(pdu));
      } catch (error) {
        this.#fail(new DirectoryError(ResultCode.protocolError, `unreadable message from the server: ${(error as Error).message}`, undefined, { cause: error }));
        socket.destroy();
        return;
      }
      if (this.#queue.length >= PAUSE_AT) socket.pause();
      this.#wakeReader();
    });
    socket.on('error', (error) => this.#fail(new DirectoryError(ResultCode.serverDown, `connection to the server lost: ${socketReason(error) ?? error.message}`, undefined, { cause: error })));
    socket.on('close', () => {
      this.#ended = true;
      this.#wakeReader();
    });
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** The host checked in the server's certificate; SNI only for names (RFC 6066 §3 forbids addresses). */
function tlsIdentity(host: string): { host: string; servername?: string } {
  return isIP(host) ? { host } : { host, servername: host };
}

/** Resolves with the socket once `event` fired; rejects on its error or after `ms`. */
function socketReady<S extends Socket | TLSSocket>(socket: S, event: 'connect' | 'secureConnect', ms: number): Promise<S> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      // The message socketReason() reads as 'timed out'.
      reject(new Error('Connection timeout'));
    }, ms);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
  });
}
