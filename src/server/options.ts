/**
 * How to run the server: the options of `rendezvous serve` as values, their defaults, the
 * check that they can work together, and what the LDAP listener is started with.
 */
import type { DirectoryTreeOptions } from '../directory/index.js';
import type { LdapServerOptions, ServerLimits, TlsFiles } from '../ldap/server.js';
import { checkScopes, ScopeError, type MulticastScope } from '../mcast/scopes.js';

/** How to run the server. */
export interface ServerOptions {
  host: string;
  port: number;
  /** SQLite file, or `:memory:`. */
  db: string;
  suffix: string;
  ilsOpen: boolean;
  ttl?: DirectoryTreeOptions['ttl'];
  /** LDAPS port; used when `tls` is given. Default {@link DEFAULT_SERVER_OPTIONS}.tlsPort. */
  tlsPort?: number;
  tls?: TlsFiles;
  requireTlsForBind?: boolean;
  limits?: Partial<ServerLimits>;
  /** Database quota in bytes: writes that would grow the file past it are refused. Default {@link DEFAULT_MAX_DB_BYTES}; 0 for none. */
  maxDbBytes?: number;
  readOnly?: boolean;
  /** Seconds a bounded conference is kept after its stop time. */
  conferenceGrace?: number;
  /**
   * MADCAP (RFC 2730) UDP port on the same host: 0 picks a free one, null turns MADCAP off.
   * Absent: 2535, skipped with a warning when that port is taken or privileged.
   */
  madcapPort?: number | null;
  /**
   * Largest difference, in seconds, between a MADCAP client's Current Time and ours that is
   * accepted (RFC 2730 §2.12: MUST be configurable); {@link DEFAULT_MAX_CLOCK_SKEW} (30 minutes,
   * as RECOMMENDED) when absent.
   */
  madcapClockSkew?: number;
  /** Multicast scopes of the allocator; {@link DEFAULT_SCOPES} when absent. */
  scopes?: readonly MulticastScope[];
  /** Refuse conferences whose multicast groups clash, instead of flagging them. */
  refuseClashes?: boolean;
  /**
   * Processes serving LDAP connections. 1 (the default here): this process does everything.
   * More: a primary process (writes, expiry, MADCAP, limits) and that many workers sharing
   * the listening sockets and the database (src/server/workers.ts).
   */
  workers?: number;
  /**
   * The web page and calendar feeds (src/http): where they listen, or null for none. Absent:
   * 127.0.0.1 on the LDAP port + 1 ({@link httpAddress}).
   */
  http?: HttpAddress | null;
  /** Microseconds to keep polling for a lone client's next request (LdapServerOptions.busyPollMicros). */
  busyPollMicros?: number;
  /** How much of the change log is kept for sync clients and replicas to resume from; {@link DEFAULT_SYNC_LOG} when absent. */
  syncLog?: SyncLogBounds;
  version: string;
}

/** The change log's bounds: the newest `keep` changes, none older than `maxAgeMs`. */
export interface SyncLogBounds {
  keep: number;
  maxAgeMs: number;
}

/**
 * The change log unless told otherwise: 100,000 changes (a day of a busy ILS directory's
 * keep-alives; about 20 MB) and a week, so that a replica offline for a weekend resumes
 * without a full reload unless the directory was busy.
 */
export const DEFAULT_SYNC_LOG: SyncLogBounds = { keep: 100_000, maxAgeMs: 7 * 24 * 3600 * 1000 };

/**
 * The database quota unless told otherwise: 8 GiB, twice the file of 1,000,000 conferences
 * (bench/RESULTS.md), so that a flood of adds ends in refusals (unavailable), not a full disk.
 */
export const DEFAULT_MAX_DB_BYTES = 8 * 1024 ** 3;

/** Where the web page listens (`--http [HOST:]PORT`). */
export interface HttpAddress {
  host: string;
  /** 0 picks a free one. */
  port: number;
}

/**
 * Where the web page listens unless told: on loopback only, whatever `--host` says (the LDAP
 * port may be opened to the network for clients without the page being opened with it),
 * beside the LDAP port: its number + 1 (1390 by default; a free one when the LDAP port is 0).
 * Not the LDAPS port's neighbour: that is 1636, far from 1389.
 */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/** Where the web page listens: {@link ServerOptions.http}, or the default beside the LDAP port; undefined when off. */
export function httpAddress(options: Pick<ServerOptions, 'http' | 'port'>): HttpAddress | undefined {
  if (options.http === null) return undefined;
  return options.http ?? { host: DEFAULT_HTTP_HOST, port: options.port === 0 ? 0 : options.port + 1 };
}

/**
 * Reads `--http`: `off`, `PORT`, `HOST:PORT` or `[IPV6]:PORT`; a bare port listens on
 * {@link DEFAULT_HTTP_HOST}. Throws a {@link ServerOptionsError} saying what is wrong.
 */
export function parseHttpOption(text: string): HttpAddress | null {
  if (text === 'off') return null;
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ServerOptionsError(`--http: '${text}' is not [HOST:]PORT (a port 0-65535, 0 for a free one) or off`);
  return { host: m[1] ?? m[2] ?? DEFAULT_HTTP_HOST, port };
}

/** Default options: what `rendezvous serve` does with no flags. */
export const DEFAULT_SERVER_OPTIONS = {
  host: '127.0.0.1',
  port: 1389,
  tlsPort: 1636,
  db: './data/rendezvous.db',
  suffix: 'o=Intranet',
  ilsOpen: false,
} satisfies Omit<ServerOptions, 'version'>;

/** Options that cannot work together; the message names the flags of `rendezvous serve`. */
export class ServerOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerOptionsError';
  }
}

/** Checks that the options can work together; throws a {@link ServerOptionsError} saying why not. */
export function checkServerOptions(options: ServerOptions): void {
  const { ttl } = options;
  if (ttl && (ttl.minTtl > ttl.maxTtl || ttl.defaultTtl < ttl.minTtl || ttl.defaultTtl > ttl.maxTtl)) {
    throw new ServerOptionsError('TTLs must satisfy --ttl-min <= --ttl-default <= --ttl-max');
  }
  if (options.requireTlsForBind && !options.tls) throw new ServerOptionsError('--require-tls-for-bind needs --tls-cert and --tls-key');
  const http = httpAddress(options);
  if (http && options.http === undefined && http.port > 65535) throw new ServerOptionsError(`the web page's default port (--port + 1) would be ${http.port}; choose one with --http PORT, or --http off`);
  if (http && http.port !== 0) {
    const tlsPort = options.tls ? (options.tlsPort ?? DEFAULT_SERVER_OPTIONS.tlsPort) : undefined;
    const taken = http.port === options.port ? '--port' : http.port === tlsPort ? '--tls-port' : undefined;
    if (taken) throw new ServerOptionsError(`the web page's port ${http.port} is the ${taken === '--port' ? 'LDAP' : 'LDAPS'} port (${taken}); choose another with --http [HOST:]PORT, or --http off`);
  }
  if (options.scopes && options.scopes.length > 0) {
    try {
      checkScopes(options.scopes);
    } catch (error) {
      if (error instanceof ScopeError) throw new ServerOptionsError(`--scope: ${error.message}`);
      throw error;
    }
  }
}

/** What the LDAP listener is started with. */
export function listenerOptions(options: ServerOptions): LdapServerOptions {
  return {
    host: options.host,
    port: options.port,
    tlsPort: options.tls ? (options.tlsPort ?? DEFAULT_SERVER_OPTIONS.tlsPort) : undefined,
    tls: options.tls,
    requireTlsForBind: options.requireTlsForBind === true,
    limits: options.limits ?? {},
    busyPollMicros: options.busyPollMicros,
  };
}
