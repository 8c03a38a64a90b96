/**
 * One client connection: frames PDUs from the socket, answers them in order, streams search
 * results with back-pressure, and ends only itself when the client sends garbage.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { DirectoryError, ResultCode, type Directory, type EntryView, type Identity, type Writer } from '../directory/index.js';
import type { Admission } from './admission.js';
import { BerError, pduLength } from './ber.js';
import type { BusyPoller } from './busy-poll.js';
import { pagedRequest, pagedResponseValue, PAGED_RESULTS_OID, unsupportedCritical } from './controls.js';
import { decodeRefreshRequest, encodeRefreshResponse, REFRESH_OID, STARTTLS_OID, WHOAMI_OID } from './extended.js';
import type { Logger } from './log.js';
import { decodeCookie, encodeCookie } from './paging.js';
import {
  decodeEnvelope,
  extendedResponseOp,
  message,
  NOTICE_OF_DISCONNECTION,
  Op,
  RESPONSE_OF,
  resultOp,
  attributeList,
  searchEntryMessage,
  type Envelope,
  type ResponseControl,
} from './protocol.js';
import { decodeRequest, RequestError, type LdapRequest } from './requests.js';

/** Limits a connection enforces. */
export interface ConnectionLimits {
  /** Largest PDU accepted, in bytes; a larger one ends the connection. */
  maxPduBytes: number;
  /** Operations queued on one connection before further ones get busy. */
  maxPending: number;
  /** A connection with nothing to do for this long is closed (0: never). */
  idleTimeoutMs: number;
  /** Most entries one search returns (or one page of a paged search). */
  sizeLimit: number;
}

/** What a connection needs from the server. */
export interface ConnectionServices {
  directory: Directory;
  log: Logger;
  limits: ConnectionLimits;
  /** TLS for StartTLS; absent when no certificate is configured. */
  tls: SecureContext | undefined;
  /** Refuse simple binds with a password on a connection without TLS. */
  requireTlsForBind: boolean;
  /** Bind throttling (and connection limits, which the listener applies). */
  admission: Admission;
  /** Where add, modify, delete and refresh go (this process's directory, or the primary's). */
  writer: Writer;
  /** Told when the connection has answered everything it was sent. */
  poller: BusyPoller;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SQLite failures that a client should hear about as such, not as an internal error. */
function storageError(error: unknown): DirectoryError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code.startsWith('SQLITE_FULL')) return new DirectoryError(ResultCode.unavailable, 'the database is full (disk or --max-db-size); reads still work');
  if (code.startsWith('SQLITE_READONLY')) return new DirectoryError(ResultCode.unwillingToPerform, 'the database is read-only; reads still work');
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new DirectoryError(ResultCode.busy, 'the database is busy; try again');
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return new DirectoryError(ResultCode.unavailable, `the database cannot be written (${code})`);
  return undefined;
}

type SearchRequest = Extract<LdapRequest, { type: 'search' }>;

/**
 * Encoded attribute lists by view. The directory hands out the same view object again while
 * an entry and the selection are unchanged, so a popular entry is encoded once, not once per
 * search; a view of the stored encoding needs none.
 */
const encodedLists = new WeakMap<EntryView, Buffer>();

/** The SearchResultEntry message of a view. */
function entryMessage(messageId: number, view: EntryView): Buffer {
  let list = view.encoded ?? encodedLists.get(view);
  if (!list) {
    list = attributeList(view.attributes);
    encodedLists.set(view, list);
  }
  return searchEntryMessage(messageId, view.dn, list);
}

/** Serves one socket. */
export class Connection {
  #socket: Socket;
  #secure: boolean;
  readonly #services: ConnectionServices;
  readonly #peer: string;
  #identity: Identity;
  #pending: Buffer[] = [];
  readonly #queue: Envelope[] = [];
  #busy = false;
  #closed = false;
  readonly #abandoned = new Set<number>();
  /** Resolves when the socket has drained (back-pressure). */
  #drain: Promise<void> | undefined;
  /** Resolves when the queue is empty (for graceful shutdown). */
  #idle: (() => void) | undefined;

  readonly #address: string;

  constructor(socket: Socket, services: ConnectionServices, secure: boolean) {
    this.#gone = new Promise<void>((resolve) => (this.#goneResolve = resolve));
    this.#socket = socket;
    this.#secure = secure;
    this.#services = services;
    this.#address = socket.remoteAddress ?? '';
    this.#peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#identity = services.directory.anonymous(this.#address);
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
      if (!this.#closed) this.#services.log.info(`connection ${this.#peer}: ${error.message}`);
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

  #drainResolve: (() => void) | undefined;
  /** Resolves when the socket closes, ending any wait for it to drain. */
  readonly #gone: Promise<void>;
  #goneResolve!: () => void;

  /** The client's address and port. */
  get peer(): string {
    return this.#peer;
  }

  /** Finishes what is in progress, tells the client, and closes. */
  async shutdown(): Promise<void> {
    if (!this.#closed && (this.#busy || this.#queue.length > 0)) {
      await new Promise<void>((resolve) => (this.#idle = resolve));
    }
    if (!this.#closed) {
      this.#socket.end(message(0, extendedResponseOp(ResultCode.unavailable, 'the server is shutting down', NOTICE_OF_DISCONNECTION)));
      this.#closed = true;
    }
  }

  /** Ends the connection after a protocol violation, with a notice of disconnection. */
  #disconnect(reason: string): void {
    this.#end(ResultCode.protocolError, reason);
  }

  /** Sends a notice of disconnection (RFC 4511 §4.4.1), logs why, and closes. */
  #end(code: number, reason: string): void {
    if (this.#closed) return;
    this.#services.log.info(`connection ${this.#peer}: disconnected: ${reason}`);
    this.#closed = true;
    this.#queue.length = 0;
    this.#socket.end(message(0, extendedResponseOp(code, reason, NOTICE_OF_DISCONNECTION)));
    this.#socket.destroySoon?.();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    this.#pending.push(chunk);
    let buffer = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    try {
      for (;;) {
        if (buffer.length > 0 && buffer[0] !== 0x30) throw new BerError('a message must start with a SEQUENCE');
        const length = pduLength(buffer);
        if (length !== undefined && length > this.#services.limits.maxPduBytes) {
          throw new BerError(`message of ${length} bytes exceeds the limit of ${this.#services.limits.maxPduBytes}`);
        }
        if (length === undefined || buffer.length < length) break;
        const envelope = decodeEnvelope(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        if (envelope.op.tag === Op.abandonRequest) {
          this.#abandon(envelope);
          continue;
        }
        if (this.#queue.length >= this.#services.limits.maxPending) {
          this.#services.log.info(`connection ${this.#peer}: busy: more than ${this.#services.limits.maxPending} operations outstanding`);
          void this.#respond(envelope, ResultCode.busy, `more than ${this.#services.limits.maxPending} operations are outstanding on this connection`);
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

  #abandon(envelope: Envelope): void {
    try {
      const request = decodeRequest(envelope);
      if (request.type === 'abandon') this.#abandoned.add(request.messageId);
    } catch {
      // An undecodable abandon has nothing to abandon and gets no response (RFC 4511 §4.11).
    }
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
        if (!this.#closed) this.#services.poller.idle(this);
      }
    }
  }

  /** Writes, waiting for the socket to drain when its buffer is full. */
  async #write(bytes: Buffer): Promise<void> {
    const full = this.#writeOrWait(bytes);
    if (full) await full;
  }

  /**
   * Writes; returns a promise to wait for only when the socket's buffer is full. A search
   * writes an entry at a time (58 per time window at 1,000,000) and would otherwise make
   * and await a promise for each.
   */
  #writeOrWait(bytes: Buffer): Promise<void> | undefined {
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

  #respond(envelope: Envelope, code: number, diagnostic = '', matchedDn = '', controls: ResponseControl[] = []): Promise<void> {
    const tag = RESPONSE_OF[envelope.op.tag];
    if (tag === undefined) return Promise.resolve();
    const op = tag === Op.extendedResponse ? extendedResponseOp(code, diagnostic) : resultOp(tag, code, diagnostic, matchedDn);
    return this.#write(message(envelope.messageId, op, controls));
  }

  async #handle(envelope: Envelope): Promise<void> {
    let request: LdapRequest;
    try {
      request = decodeRequest(envelope);
    } catch (error) {
      // RFC 4511 §4.1.1: a request whose encoding is wrong ends the session with a notice.
      if (error instanceof RequestError) return this.#disconnect(error.message);
      if (error instanceof DirectoryError) return this.#respond(envelope, error.code, error.message, error.matchedDN);
      throw error;
    }
    const critical = unsupportedCritical(envelope.controls, request.type === 'search');
    if (critical && request.type !== 'unbind') {
      return this.#respond(envelope, ResultCode.unavailableCriticalExtension, `critical control ${critical.oid} is not supported`);
    }
    try {
      await this.#dispatch(envelope, request);
    } catch (error) {
      if (error instanceof DirectoryError) return this.#respond(envelope, error.code, error.message, error.matchedDN);
      if (error instanceof BerError || error instanceof RequestError) return this.#respond(envelope, ResultCode.protocolError, error.message);
      const storage = storageError(error);
      if (storage) {
        this.#services.log.warn(`connection ${this.#peer}: ${storage.message} (${(error as Error).message})`);
        return this.#respond(envelope, storage.code, storage.message);
      }
      this.#services.log.warn(`connection ${this.#peer}: internal error: ${(error as Error).stack ?? String(error)}`);
      return this.#respond(envelope, ResultCode.operationsError, 'internal server error');
    }
  }

  async #dispatch(envelope: Envelope, request: LdapRequest): Promise<void> {
    const directory = this.#services.directory;
    switch (request.type) {
      case 'bind': {
        this.#identity = directory.anonymous(this.#socket.remoteAddress ?? '');
        if (request.version !== 2 && request.version !== 3) {
          return this.#respond(envelope, ResultCode.protocolError, `LDAP version ${request.version} is not supported`);
        }
        if (request.auth.kind === 'sasl') {
          return this.#respond(envelope, ResultCode.authMethodNotSupported, `SASL (${request.auth.mechanism}) is not supported; use a simple bind (ldapsearch -x)`);
        }
        return this.#bind(envelope, request.name, request.auth.password, request.version);
      }
      case 'unbind':
        this.#closed = true;
        this.#queue.length = 0;
        this.#socket.end();
        return;
      case 'search':
        return this.#search(envelope, request);
      case 'add':
        await this.#services.writer.write({ op: 'add', identity: this.#identity, dn: request.dn, attributes: request.attributes });
        return this.#respond(envelope, ResultCode.success);
      case 'modify':
        await this.#services.writer.write({ op: 'modify', identity: this.#identity, dn: request.dn, changes: request.changes });
        return this.#respond(envelope, ResultCode.success);
      case 'delete':
        await this.#services.writer.write({ op: 'delete', identity: this.#identity, dn: request.dn });
        return this.#respond(envelope, ResultCode.success);
      case 'modifyDn':
        return directory.modifyDn(request.dn);
      case 'compare':
        return this.#respond(envelope, directory.compare(request.dn, request.attribute, request.value) ? ResultCode.compareTrue : ResultCode.compareFalse);
      case 'extended':
        return this.#extended(envelope, request);
      case 'abandon':
        return;
    }
  }

  async #bind(envelope: Envelope, name: string, password: string, version: number): Promise<void> {
    const { directory, admission, log } = this.#services;
    if (password !== '' && this.#services.requireTlsForBind && !this.#secure) {
      return this.#respond(envelope, ResultCode.confidentialityRequired, 'binds with a password need TLS: use ldaps:// or StartTLS (ldapsearch -ZZ)');
    }
    const delay = password === '' ? 0 : await admission.bindDelay(this.#address, name);
    if (delay > 0) await sleep(delay);
    try {
      this.#identity = await directory.bind(name, password, version as 2 | 3, this.#address);
    } catch (error) {
      if (error instanceof DirectoryError && error.code === ResultCode.invalidCredentials) {
        const { failures, nextDelay } = await admission.bindFailed(this.#address, name);
        log.info(`connection ${this.#peer}: failed bind as '${name}' (${failures} recent failure(s); next attempt delayed ${nextDelay} ms)`);
      }
      throw error;
    }
    if (password !== '') admission.bindSucceeded(this.#address, name);
    return this.#respond(envelope, ResultCode.success);
  }

  async #startTls(envelope: Envelope): Promise<void> {
    const context = this.#services.tls;
    if (!context) return this.#respond(envelope, ResultCode.protocolError, 'StartTLS is not available: the server has no certificate (--tls-cert, --tls-key)');
    if (this.#secure) return this.#respond(envelope, ResultCode.operationsError, 'TLS is already established on this connection');
    if (this.#queue.length > 0) return this.#respond(envelope, ResultCode.operationsError, 'operations are outstanding; StartTLS must be sent alone');
    await this.#write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', STARTTLS_OID)));
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('drain');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.#socket = secure;
    this.#secure = true;
    this.#attach(secure);
  }

  async #extended(envelope: Envelope, request: Extract<LdapRequest, { type: 'extended' }>): Promise<void> {
    const directory = this.#services.directory;
    switch (request.oid) {
      case STARTTLS_OID:
        return this.#startTls(envelope);
      case WHOAMI_OID: {
        const authzId = this.#identity.dn === '' ? '' : `dn:${this.#identity.dn}`;
        return this.#write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', undefined, Buffer.from(authzId, 'utf8'))));
      }
      case REFRESH_OID: {
        const { dn, ttl } = decodeRefreshRequest(request.value);
        const granted = (await this.#services.writer.write({ op: 'refresh', identity: this.#identity, dn, ttl }))!;
        return this.#write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', REFRESH_OID, encodeRefreshResponse(granted))));
      }
      default:
        return this.#respond(envelope, ResultCode.protocolError, `extended operation ${request.oid} is not supported`);
    }
  }

  /**
   * Entries and the final result go out corked, so a small result is one TCP segment instead
   * of one per message (with TCP_NODELAY each write would otherwise be sent alone).
   */
  async #search(envelope: Envelope, request: SearchRequest): Promise<void> {
    const socket = this.#socket;
    socket.cork();
    this.#corked = socket;
    try {
      return await this.#searchCorked(envelope, request);
    } finally {
      this.#corked = undefined;
      socket.uncork();
    }
  }

  /** The socket corked by a search in progress, flushed whenever back-pressure makes writing wait. */
  #corked: Socket | undefined;

  async #searchCorked(envelope: Envelope, request: SearchRequest): Promise<void> {
    const paged = pagedRequest(envelope.controls);
    const adminLimit = this.#services.limits.sizeLimit;
    if (paged) paged.size = Math.min(paged.size, adminLimit);
    const sizeLimit = paged ? request.sizeLimit : request.sizeLimit === 0 ? adminLimit : Math.min(request.sizeLimit, adminLimit);
    const afterId = paged && paged.cookie.length > 0 ? decodeCookie(paged.cookie, request) : undefined;
    if (paged && paged.size === 0) {
      // RFC 2696 §3: a size of zero abandons the paged search.
      return this.#respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }]);
    }
    const search = { base: request.base, scope: request.scope, filter: request.filter, ...(afterId === undefined ? {} : { afterId }) };
    // An ILS (sttl=N) term refreshes what the search matches: a write, made first, so that the
    // search (which only reads) returns the new entryTTL.
    const refresh = this.#services.directory.sttlRefresh(search);
    if (refresh) await this.#services.writer.write({ op: 'sttl', identity: this.#identity, refresh });
    const results = this.#services.directory.search(this.#identity, { ...search, attributes: request.attributes, typesOnly: request.typesOnly });
    const started = Date.now();
    let sent = 0;
    let lastId: number | undefined;
    for (let next = results.next(); !next.done; next = results.next()) {
      if (this.#abandoned.delete(envelope.messageId) || this.#closed) return;
      if (paged && sent === paged.size) {
        // One more match exists: hand out a cookie to continue after the last one sent.
        return this.#respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(encodeCookie(lastId!, request)) }]);
      }
      if (sizeLimit > 0 && sent === sizeLimit) {
        const whose = sizeLimit === request.sizeLimit ? 'the requested' : "the server's";
        if (sizeLimit !== request.sizeLimit) this.#services.log.info(`connection ${this.#peer}: search of ${request.base} stopped at the size limit of ${sizeLimit} entries`);
        return this.#respond(envelope, ResultCode.sizeLimitExceeded, `${whose} size limit of ${sizeLimit} entries was reached; narrow the filter or use paged results`);
      }
      if (request.timeLimit > 0 && Date.now() - started > request.timeLimit * 1000) {
        return this.#respond(envelope, ResultCode.timeLimitExceeded, `time limit of ${request.timeLimit} s exceeded`);
      }
      const { view, id } = next.value;
      const full = this.#writeOrWait(entryMessage(envelope.messageId, view));
      if (full) await full;
      sent += 1;
      lastId = id;
    }
    const controls: ResponseControl[] = paged ? [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }] : [];
    return this.#respond(envelope, ResultCode.success, '', '', controls);
  }
}
