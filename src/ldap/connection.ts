/**
 * One client connection: frames PDUs from the socket, answers them in order, streams search
 * results with back-pressure, and ends only itself when the client sends garbage.
 */
import type { Socket } from 'node:net';
import type { Directory } from '../directory/directory.js';
import type { Identity } from '../directory/context.js';
import { DirectoryError, ResultCode } from '../directory/errors.js';
import { BerError, pduLength } from './ber.js';
import { pagedRequest, pagedResponseValue, PAGED_RESULTS_OID, unsupportedCritical } from './controls.js';
import { decodeRefreshRequest, encodeRefreshResponse, REFRESH_OID, WHOAMI_OID } from './extended.js';
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
  searchEntryOp,
  type Envelope,
  type ResponseControl,
} from './protocol.js';
import { decodeRequest, RequestError, type LdapRequest } from './requests.js';

/** Limits a connection enforces. */
export interface ConnectionLimits {
  /** Largest PDU accepted, in bytes. */
  maxPduBytes: number;
}

/** What a connection needs from the server. */
export interface ConnectionServices {
  directory: Directory;
  log: Logger;
  limits: ConnectionLimits;
}

type SearchRequest = Extract<LdapRequest, { type: 'search' }>;

/** Serves one socket. */
export class Connection {
  readonly #socket: Socket;
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

  constructor(socket: Socket, services: ConnectionServices) {
    this.#socket = socket;
    this.#services = services;
    this.#peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#identity = services.directory.anonymous(socket.remoteAddress ?? '');
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (error) => {
      if (!this.#closed) services.log.info(`connection ${this.#peer}: ${error.message}`);
      this.#closed = true;
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#idle?.();
    });
    socket.on('drain', () => {
      const resolve = this.#drainResolve;
      this.#drain = undefined;
      this.#drainResolve = undefined;
      resolve?.();
    });
  }

  #drainResolve: (() => void) | undefined;

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
    if (this.#closed) return;
    this.#services.log.info(`connection ${this.#peer}: disconnected: ${reason}`);
    this.#closed = true;
    this.#queue.length = 0;
    this.#socket.end(message(0, extendedResponseOp(ResultCode.protocolError, reason, NOTICE_OF_DISCONNECTION)));
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
      if (this.#queue.length === 0) this.#idle?.();
    }
  }

  /** Writes, waiting for the socket to drain when its buffer is full. */
  async #write(bytes: Buffer): Promise<void> {
    if (this.#closed) return;
    if (!this.#socket.write(bytes) && !this.#drain) {
      this.#drain = new Promise<void>((resolve) => (this.#drainResolve = resolve));
    }
    if (this.#drain) await Promise.race([this.#drain, new Promise<void>((resolve) => this.#socket.once('close', resolve))]);
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
        this.#identity = await directory.bind(request.name, request.auth.password, request.version, this.#socket.remoteAddress ?? '');
        return this.#respond(envelope, ResultCode.success);
      }
      case 'unbind':
        this.#closed = true;
        this.#queue.length = 0;
        this.#socket.end();
        return;
      case 'search':
        return this.#search(envelope, request);
      case 'add':
        directory.add(this.#identity, request.dn, request.attributes);
        return this.#respond(envelope, ResultCode.success);
      case 'modify':
        directory.modify(this.#identity, request.dn, request.changes);
        return this.#respond(envelope, ResultCode.success);
      case 'delete':
        directory.delete(this.#identity, request.dn);
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

  async #extended(envelope: Envelope, request: Extract<LdapRequest, { type: 'extended' }>): Promise<void> {
    const directory = this.#services.directory;
    switch (request.oid) {
      case WHOAMI_OID: {
        const authzId = this.#identity.dn === '' ? '' : `dn:${this.#identity.dn}`;
        return this.#write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', undefined, Buffer.from(authzId, 'utf8'))));
      }
      case REFRESH_OID: {
        const { dn, ttl } = decodeRefreshRequest(request.value);
        const granted = directory.refresh(this.#identity, dn, ttl);
        return this.#write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', REFRESH_OID, encodeRefreshResponse(granted))));
      }
      default:
        return this.#respond(envelope, ResultCode.protocolError, `extended operation ${request.oid} is not supported`);
    }
  }

  async #search(envelope: Envelope, request: SearchRequest): Promise<void> {
    const paged = pagedRequest(envelope.controls);
    const afterId = paged && paged.cookie.length > 0 ? decodeCookie(paged.cookie, request) : undefined;
    if (paged && paged.size === 0) {
      // RFC 2696 §3: a size of zero abandons the paged search.
      return this.#respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }]);
    }
    const results = this.#services.directory.search(this.#identity, {
      base: request.base,
      scope: request.scope,
      filter: request.filter,
      attributes: request.attributes,
      typesOnly: request.typesOnly,
      ...(afterId === undefined ? {} : { afterId }),
    });
    const started = Date.now();
    let sent = 0;
    let lastId: number | undefined;
    for (let next = results.next(); !next.done; next = results.next()) {
      if (this.#abandoned.delete(envelope.messageId) || this.#closed) return;
      if (paged && sent === paged.size) {
        // One more match exists: hand out a cookie to continue after the last one sent.
        return this.#respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(encodeCookie(lastId!, request)) }]);
      }
      if (request.sizeLimit > 0 && sent === request.sizeLimit) {
        return this.#respond(envelope, ResultCode.sizeLimitExceeded, `size limit of ${request.sizeLimit} entries exceeded`);
      }
      if (request.timeLimit > 0 && Date.now() - started > request.timeLimit * 1000) {
        return this.#respond(envelope, ResultCode.timeLimitExceeded, `time limit of ${request.timeLimit} s exceeded`);
      }
      const { view, id } = next.value;
      const attributes = view.attributes.map((a) => ({ name: a.name, values: a.values.map((v) => Buffer.from(v, a.binary ? 'latin1' : 'utf8')) }));
      await this.#write(message(envelope.messageId, searchEntryOp(view.dn, attributes)));
      sent += 1;
      lastId = id;
    }
    const controls: ResponseControl[] = paged ? [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }] : [];
    return this.#respond(envelope, ResultCode.success, '', '', controls);
  }
}
