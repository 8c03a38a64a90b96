/**
 * What an operation's handler (src/ldap/operations) sees of the connection it runs on: the
 * session's state (who is bound, whether TLS is on), the server's services, and how to
 * answer. {@link Connection} implements it; the handlers never touch the socket.
 */
import type { SecureContext } from 'node:tls';
import type { DirectoryTree, Identity, Writer } from '../directory/index.js';
import type { Admission } from './admission.js';
import type { BusyPoller } from './busy-poll.js';
import type { ClientLog } from './client-log.js';
import type { PartialBudget } from '../protocol/index.js';
import type { LiveEnd, LiveSearch } from './live-count.js';
import type { Logger } from '../log.js';
import type { Envelope, ResponseControl } from '../protocol/index.js';

/** Limits a connection enforces. */
export interface ConnectionLimits {
  /** Largest PDU accepted from a bound client, in bytes (slapd's sockbuf_max_incoming_auth); a larger one ends the connection. */
  maxPduBytes: number;
  /** Largest PDU accepted before a bind (slapd's sockbuf_max_incoming); at most {@link maxPduBytes}. */
  maxAnonymousPduBytes: number;
  /**
   * Operations queued on one connection; with that many (or PDUs as large as the PDU limit)
   * waiting, the connection stops reading its socket until one is done.
   */
  maxPending: number;
  /** A connection with nothing to do and no complete request for this long is closed (0: never). */
  idleTimeoutMs: number;
  /** A PDU must arrive whole within this long of its first byte. */
  pduTimeoutMs: number;
  /** ...and, after its first {@link PDU_RATE_GRACE_MS}, at this many bytes a second on average at least. */
  minPduRate: number;
  /** A TLS handshake (LDAPS, or after StartTLS) must be done within this long. */
  handshakeTimeoutMs: number;
  /** Most entries one search returns (or one page of a paged search). */
  sizeLimit: number;
  /** Longest a search may run, in seconds (a client's smaller time limit wins). */
  timeLimit: number;
  /** Live searches (content sync in refreshAndPersist mode, persistent search) one connection may hold open. */
  maxLiveSearches: number;
  /** Changes a live search may fall behind before it is ended (the client starts again from its cookie). */
  liveBacklog: number;
}

/** How long a PDU may arrive slower than {@link ConnectionLimits.minPduRate}: a TCP window or two on a slow link. */
export const PDU_RATE_GRACE_MS = 5_000;

/** What a connection needs from the server. */
export interface ConnectionServices {
  directory: DirectoryTree;
  log: Logger;
  limits: ConnectionLimits;
  /** TLS for StartTLS; absent when no certificate is configured. */
  tls: SecureContext | undefined;
  /** Refuse simple binds with a password on a connection without TLS. */
  requireTlsForBind: boolean;
  /** The failed-bind throttle (and connection limits, which the listener applies). */
  admission: Admission;
  /** Where add, modify, delete and refresh go (this process's directory, or the primary's). */
  writer: Writer;
  /** Told when the connection has answered everything it was sent. */
  poller: BusyPoller;
  /** Bytes of incomplete PDUs all the process's connections may hold together. */
  partialBudget: PartialBudget;
  /** Rate-limited lines about what clients do (refusals, disconnections...). */
  clientLog: ClientLog;
  /** The live searches the process serves, counted against its limit. */
}

/** One client's session, as the operation handlers use it. */
export interface Session {
  readonly services: ConnectionServices;
  /** The client's address and port, for log lines. */
  readonly peer: string;
  /** The client's address, without the port: what binds and admission count by. */
  readonly address: string;
  /** Who the client is bound as; a bind sets it. */
  identity: Identity;
  /** Whether the session runs over TLS (LDAPS, or after StartTLS). */
  readonly secure: boolean;
  /** Sends an operation's result (an LDAPResult, or an ExtendedResponse for an extended request). */
  respond(envelope: Envelope, code: number, diagnostic?: string, matchedDn?: string, controls?: ResponseControl[]): Promise<void>;
  /** Writes a message, waiting for the socket to drain when its buffer is full. */
  write(bytes: Buffer): Promise<void>;
  /**
   * Writes a message; returns a promise to wait for only when the socket's buffer is full.
   * A search writes an entry at a time (58 per time window at 1,000,000) and would otherwise
   * make and await a promise for each.
   */
  writeOrWait(bytes: Buffer): Promise<void> | undefined;
  /** Holds written messages back until {@link uncork} (they go out together), except while waiting for a drain. */
  cork(): void;
  /**
   * Queues a message, its id and its body after the id (protocol's `messageBody`, shared by the
   * live searches told alike), to go out with the connection's other queued messages in one
   * write at the end of this turn (or sooner when many). A promise, as {@link writeOrWait},
   * when the socket is full. Other writes send what is queued first: order is kept.
   */
  sendMessage(messageId: number, body: Buffer): Promise<void> | undefined;
  uncork(): void;
  /** Resolves when the connection closes: a handler that waits (a bind for its turn) stops waiting. */
  readonly gone: Promise<void>;
  /** Whether operation `messageId` should stop: the client abandoned it (forgotten once asked), or the connection closed. */
  cancelled(messageId: number): boolean;
  /** Records that the client abandoned operation `messageId`. */
  abandon(messageId: number): void;
  /** How many live searches the connection holds open. */
  readonly liveSearches: number;
  /** Holds a live search of message `messageId` until it ends ({@link endLive}, or the connection closes). */
  addLive(messageId: number, live: LiveSearch): void;
  /** Forgets a live search that ended by itself. */
  removeLive(messageId: number): void;
  /** Ends the live search of message `messageId`; false when there is none. */
  endLive(messageId: number, why: LiveEnd): Promise<boolean>;
  /** Answers a StartTLS request and, when it succeeds, continues the session over TLS. */
  startTls(envelope: Envelope): Promise<void>;
  /** Closes the connection at the client's request (unbind): nothing more is answered. */
  close(): void;
}
