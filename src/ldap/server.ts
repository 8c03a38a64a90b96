/**
 * The LDAP listeners. ldapjs provides the server sockets (plain, and TLS for LDAPS); every
 * connection is handed to {@link Connection}, which frames and answers PDUs itself, because
 * ldapjs's own connection handling drops clients on SASL binds, mangles values, ignores
 * limits and controls, and lets one client's garbage kill the process.
 */
import ldap from 'ldapjs';
import type { Server as NetServer, Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { LocalWriter, type DirectoryTree, type Writer } from '../directory/index.js';
import { DEFAULT_BIND_DELAY_BASE_MS, DEFAULT_MAX_LIVE_SEARCHES_TOTAL, LocalAdmission, type Admission } from './admission.js';
import { BusyPoller, DEFAULT_BUSY_POLL_MICROS } from './busy-poll.js';
import { SUPPORTED_CONTROLS } from './controls.js';
import { ClientLog } from './client-log.js';
import { Connection, serveTls } from './connection.js';
import { PartialBudget } from '../protocol/index.js';
import type { Logger } from '../log.js';
import { ALL_OPERATIONAL_ATTRIBUTES_OID, CANCEL_OID, message, NOTICE_OF_DISCONNECTION_OID, PASSWORD_MODIFY_OID, REFRESH_OID, ResultCode, STARTTLS_OID, WHOAMI_OID } from '../protocol/index.js';
import { extendedResponseOp } from './responses.js';
import type { ConnectionLimits } from './session.js';
import { TLS_SETTINGS } from './tls.js';

/** A certificate and its key, PEM. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Limits on connections, beyond the per-connection ones. */
export interface ServerLimits extends ConnectionLimits {
  /** Sockets open in total, TLS handshakes included. */
  maxConnections: number;
  /** Sockets open from one address, TLS handshakes included. */
  maxConnectionsPerAddress: number;
  /** The first failed-bind delay, which the others scale with; 0: none (AdmissionLimits.bindDelayBaseMs). */
  bindDelayBaseMs: number;
  /** Bytes of incomplete PDUs one process holds for all its connections together. */
  partialBudgetBytes: number;
  /** Live searches the whole server holds open at most, over all its connections and processes (AdmissionLimits.maxLiveSearchesTotal). */
  maxLiveSearchesTotal: number;
}

/** Listener options. */
export interface LdapServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** LDAPS port (with `tls`); 0 picks a free one; undefined for no LDAPS listener. */
  tlsPort?: number | undefined;
  tls?: TlsFiles | undefined;
  requireTlsForBind?: boolean;
  limits?: Partial<ServerLimits>;
  /**
   * Who decides connection limits and when passwords are checked (the failed-bind throttle); by default this process, from `limits`.
   * Worker processes pass the primary's.
   */
  admission?: Admission;
  /** Where writes go; by default this process's directory. Worker processes pass the primary's. */
  writer?: Writer;
  /**
   * Microseconds the process keeps polling for a lone client's next request after answering
   * it, instead of sleeping ({@link BusyPoller}); 0 turns it off. Default
   * {@link DEFAULT_BUSY_POLL_MICROS}.
   */
  busyPollMicros?: number | undefined;
}

/**
 * Defaults, each chosen for a conference directory on a LAN:
 * 4 MiB PDUs once bound and 256 KiB before (slapd's sockbuf_max_incoming_auth and
 * sockbuf_max_incoming; a large conference blob is a few kilobytes); 4096 connections, 1024
 * from one address (a NAT gateway or a busy host); 64 outstanding operations per connection;
 * idle connections closed after 15 minutes (ILS clients refresh every few minutes and
 * reconnect); a PDU whole within 30 s of its first byte and at 1 KiB/s at least (a 4 MiB PDU
 * then needs 140 KB/s); a TLS handshake within 10 s; 64 MiB of incomplete PDUs per process;
 * 1000 entries per search or page, as slapd's default size limit is of that order, and an
 * hour per search, slapd's default time limit; failed binds delayed 250 ms, doubling with
 * each further failure to at most 8 s (./admission.ts). Live searches: 64 per connection
 * and 10,000 per process (each costs a cursor and a subscription, about 2 KiB: a thousand
 * fit easily), ended past 10,000 unread changes.
 */
export const DEFAULT_LIMITS: ServerLimits = {
  maxPduBytes: 4 * 1024 * 1024,
  maxAnonymousPduBytes: 256 * 1024,
  maxPending: 64,
  idleTimeoutMs: 15 * 60_000,
  pduTimeoutMs: 30_000,
  minPduRate: 1024,
  handshakeTimeoutMs: 10_000,
  sizeLimit: 1000,
  timeLimit: 3600,
  maxConnections: 4096,
  maxConnectionsPerAddress: 1024,
  bindDelayBaseMs: DEFAULT_BIND_DELAY_BASE_MS,
  partialBudgetBytes: 64 * 1024 * 1024,
  maxLiveSearches: 64,
  maxLiveSearchesTotal: DEFAULT_MAX_LIVE_SEARCHES_TOTAL,
  liveBacklog: 10_000,
};

/** How often the connections' deadlines are checked ({@link Connection.tick}). */
const TICK_MS = 1000;

interface LdapjsServer {
  listen(port: number, host: string, callback: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  server: NetServer;
}

async function listen(server: LdapjsServer, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
}

function portOf(server: LdapjsServer): number {
  const a = server.server.address();
  if (a === null || typeof a === 'string') throw new Error('server is not listening');
  return a.port;
}

/** Running LDAP listeners. */
export class LdapServer {
  readonly #servers: LdapjsServer[];
  readonly #connections: Set<Connection>;
  readonly #log: Logger;
  readonly #ticker: NodeJS.Timeout;

  private constructor(servers: LdapjsServer[], log: Logger, connections: Set<Connection>) {
    this.#servers = servers;
    this.#log = log;
    this.#connections = connections;
    this.#ticker = setInterval(() => {
      const now = Date.now();
      for (const connection of connections) connection.tick(now);
    }, TICK_MS).unref();
  }

  /** Starts listening; resolves once connections are accepted. */
  static async start(directory: DirectoryTree, options: LdapServerOptions, log: Logger): Promise<LdapServer> {
    const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
    const context: SecureContext | undefined = options.tls ? createSecureContext({ ...TLS_SETTINGS, cert: options.tls.cert, key: options.tls.key }) : undefined;
    directory.setProtocolFeatures({
      controls: [...SUPPORTED_CONTROLS],
      // libldap (ldapsearch without -x) picks a SASL mechanism from this list before it binds;
      // with none listed it fails on its own with a puzzling "No such attribute", and it finds
      // PLAIN and ANONYMOUS unworthy. DIGEST-MD5 starts with a bare bind, so the client sends
      // it and gets authMethodNotSupported with advice to use a simple bind. No SASL bind
      // succeeds here (docs/server.md, "Operations").
      saslMechanisms: ['DIGEST-MD5'],
      // StartTLS is offered only when it can work.
      extensions: [WHOAMI_OID, REFRESH_OID, PASSWORD_MODIFY_OID, CANCEL_OID, ...(context ? [STARTTLS_OID] : [])],
      features: [ALL_OPERATIONAL_ATTRIBUTES_OID],
    });
    const connections = new Set<Connection>();
    const admission = options.admission ?? new LocalAdmission(limits, log);
    const writer = options.writer ?? new LocalWriter(directory);
    const poller = new BusyPoller(options.busyPollMicros ?? DEFAULT_BUSY_POLL_MICROS);
    const partialBudget = new PartialBudget(limits.partialBudgetBytes);
    const clientLog = new ClientLog(log);
    const services = { directory, log, limits, tls: context, requireTlsForBind: options.requireTlsForBind === true, admission, writer, poller, partialBudget, clientLog };
    // Every accepted socket is counted, LDAPS ones from before their handshake (which has a
    // deadline), so half-open handshakes cannot hold the server past its connection limits.
    const router = (secure: boolean) => (socket: Socket): void => {
      const address = socket.remoteAddress ?? '';
      // Until a Connection owns the socket, its errors concern nobody.
      socket.on('error', () => undefined);
      void admission.admit(address).then((refusal) => {
        if (refusal) {
          clientLog.refused.note(address, `refused connection from ${address}:${socket.remotePort ?? '?'}: ${refusal}`);
          // An LDAPS client could not read a notice before its handshake: it is just closed.
          if (secure) socket.destroy();
          else socket.end(message(0, extendedResponseOp(ResultCode.busy, `too many connections: ${refusal}`, NOTICE_OF_DISCONNECTION_OID)));
          return;
        }
        if (socket.destroyed) {
          admission.release(address);
          return;
        }
        socket.on('close', () => admission.release(address));
        const serve = (ldapSocket: Socket): void => {
          if (socket.destroyed) return;
          const connection = new Connection(ldapSocket, services, secure);
          connections.add(connection);
          socket.on('close', () => connections.delete(connection));
        };
        if (secure) serveTls(socket, services, limits.handshakeTimeoutMs, serve);
        else serve(socket);
      });
    };
    // Both listeners are plain TCP: LDAPS's handshake is run by serveTls, as StartTLS's is.
    const create = (secure: boolean): LdapjsServer => {
      const server = ldap.createServer({ connectionRouter: router(secure) } as unknown as ldap.ServerOptions) as unknown as LdapjsServer;
      server.on('error', (error) => log.warn(`listener: ${error.message}`));
      return server;
    };
    const servers = [create(false)];
    if (options.tls && options.tlsPort !== undefined) servers.push(create(true));
    try {
      await listen(servers[0]!, options.port, options.host);
      if (servers[1]) await listen(servers[1], options.tlsPort!, options.host);
    } catch (error) {
      for (const s of servers) s.server.close();
      throw error;
    }
    return new LdapServer(servers, log, connections);
  }

  /** The port of the plain LDAP listener. */
  get port(): number {
    return portOf(this.#servers[0]!);
  }

  /** The port of the LDAPS listener, if there is one. */
  get tlsPort(): number | undefined {
    return this.#servers[1] ? portOf(this.#servers[1]) : undefined;
  }

  /** Stops accepting, lets in-flight operations finish, then closes every connection. */
  async close(): Promise<void> {
    clearInterval(this.#ticker);
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    await Promise.all([...this.#connections].map((c) => c.shutdown()));
    await closed;
    this.#log.info('listener closed');
  }
}
