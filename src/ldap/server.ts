/**
 * The LDAP listener. ldapjs provides the server socket; every connection is handed to
 * {@link Connection}, which frames and answers PDUs itself, because ldapjs's own connection
 * handling drops clients on SASL binds, mangles extended values, ignores limits and
 * controls, and lets one client's garbage kill the process.
 */
import ldap from 'ldapjs';
import type { Server as NetServer, Socket } from 'node:net';
import type { Directory } from '../directory/directory.js';
import { SUPPORTED_CONTROLS } from './controls.js';
import { Connection, type ConnectionLimits } from './connection.js';
import { REFRESH_OID, WHOAMI_OID } from './extended.js';
import type { Logger } from './log.js';

/** Listener options. */
export interface LdapServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  limits?: Partial<ConnectionLimits>;
}

/** Defaults: 4 MiB PDUs (a large conference blob is a few kilobytes). */
export const DEFAULT_LIMITS: ConnectionLimits = { maxPduBytes: 4 * 1024 * 1024 };

/** RFC 3673 all operational attributes. */
const ALL_OPERATIONAL_FEATURE = '1.3.6.1.4.1.4203.1.5.1';

interface LdapjsServer {
  listen(port: number, host: string, callback: () => void): void;
  close(callback?: () => void): void;
  address(): { port: number; address: string };
  on(event: 'error', listener: (error: Error) => void): void;
  server: NetServer;
}

/** A running LDAP listener. */
export class LdapServer {
  readonly #server: LdapjsServer;
  readonly #connections: Set<Connection>;
  readonly #log: Logger;

  private constructor(server: LdapjsServer, log: Logger, connections: Set<Connection>) {
    this.#server = server;
    this.#log = log;
    this.#connections = connections;
  }

  /** Starts listening; resolves once connections are accepted. */
  static async start(directory: Directory, options: LdapServerOptions, log: Logger): Promise<LdapServer> {
    directory.setProtocolFeatures({
      controls: [...SUPPORTED_CONTROLS],
      // libldap (ldapsearch without -x) picks a SASL mechanism from this list before it binds;
      // with none listed it fails on its own with a puzzling "No such attribute", and it finds
      // PLAIN and ANONYMOUS unworthy. DIGEST-MD5 starts with a bare bind, so the client sends
      // it and gets authMethodNotSupported with advice to use a simple bind. No SASL bind
      // succeeds here (see README).
      saslMechanisms: ['DIGEST-MD5'],
      extensions: [WHOAMI_OID, REFRESH_OID],
      features: [ALL_OPERATIONAL_FEATURE],
    });
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const connections = new Set<Connection>();
    const connectionRouter = (socket: Socket): void => {
      const connection = new Connection(socket, { directory, log, limits });
      connections.add(connection);
      socket.on('close', () => connections.delete(connection));
    };
    const server = ldap.createServer({ connectionRouter } as unknown as ldap.ServerOptions) as unknown as LdapjsServer;
    const self = new LdapServer(server, log, connections);
    server.on('error', (error) => log.warn(`listener: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    return self;
  }

  /** The address and port actually bound. */
  get address(): { host: string; port: number } {
    const a = this.#server.server.address();
    if (a === null || typeof a === 'string') throw new Error('server is not listening');
    return { host: a.address, port: a.port };
  }

  /** Stops accepting, lets in-flight operations finish, then closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.server.close(() => resolve()));
    await Promise.all([...this.#connections].map((c) => c.shutdown()));
    await closed;
    this.#log.info('listener closed');
  }
}
