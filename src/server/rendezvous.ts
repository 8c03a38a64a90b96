/**
 * The whole server: database, schema, directory and LDAP listener, started and stopped
 * together.
 */
import { statSync } from 'node:fs';
import type { AttributeCodec, DirectoryOptions } from '../directory/context.js';
import { Directory } from '../directory/directory.js';
import { schemaAccess } from '../directory/schema-access.js';
import { DEFAULT_SCHEMA_FILES, loadSchemaSync } from '../directory/schema/index.js';
import { DEFAULT_CONFERENCE_GRACE, DEFAULT_TTL_POLICY } from '../directory/ttl.js';
import { LdapServer, type LdapServerOptions, type ServerLimits, type TlsFiles } from '../ldap/server.js';
import type { Logger } from '../ldap/log.js';
import { attributeList, attributeValues, readAttributeList } from '../ldap/protocol.js';
import { storedAttributeEncoding } from '../directory/entry-view.js';
import { AccountStore, EntryStore, openDatabase, type SqliteDatabase } from '../store/index.js';
import { Allocator } from '../mcast/allocator.js';
import { DEFAULT_SCOPES, type Scope } from '../mcast/scopes.js';
import { MADCAP_PORT, MadcapServer } from '../mcast/server.js';

/** How to run the server. */
export interface ServerOptions {
  host: string;
  port: number;
  /** SQLite file, or `:memory:`. */
  db: string;
  suffix: string;
  ilsOpen: boolean;
  ttl?: DirectoryOptions['ttl'];
  /** LDAPS port; used when `tls` is given. */
  tlsPort?: number;
  tls?: TlsFiles;
  requireTlsForBind?: boolean;
  limits?: Partial<ServerLimits>;
  /** Database quota in bytes. */
  maxDbBytes?: number;
  readOnly?: boolean;
  /** Seconds a bounded conference is kept after its stop time. */
  conferenceGrace?: number;
  /**
   * MADCAP (RFC 2730) UDP port on the same host: 0 picks a free one, null turns MADCAP off.
   * Absent: 2535, skipped with a warning when that port is taken or privileged.
   */
  madcapPort?: number | null;
  /** Multicast scopes of the allocator; {@link DEFAULT_SCOPES} when absent. */
  scopes?: readonly Scope[];
  /** Refuse conferences whose multicast groups clash, instead of flagging them. */
  refuseClashes?: boolean;
  /**
   * Processes serving LDAP connections. 1 (the default here): this process does everything.
   * More: a primary process (expiry, MADCAP, limits) and that many workers sharing the
   * listening sockets and the database (src/server/workers.ts).
   */
  workers?: number;
  /** Microseconds to keep polling for a lone client's next request (LdapServerOptions.busyPollMicros). */
  busyPollMicros?: number;
  version: string;
}

/** Default options: what `rendezvous serve` does with no flags. */
export const DEFAULT_SERVER_OPTIONS: Omit<ServerOptions, 'version'> = {
  host: '127.0.0.1',
  port: 1389,
  db: './data/rendezvous.db',
  suffix: 'o=Intranet',
  ilsOpen: false,
};

/** Opens the database and builds the directory over it (also used by `rendezvous account`). */
export function openDirectory(
  options: Pick<ServerOptions, 'db' | 'suffix' | 'ilsOpen' | 'ttl' | 'conferenceGrace' | 'version' | 'maxDbBytes' | 'readOnly' | 'scopes' | 'refuseClashes'>,
): { db: SqliteDatabase; directory: Directory; entries: EntryStore; accounts: AccountStore; allocator: Allocator } {
  const schema = loadSchemaSync();
  const schemaTime = new Date(Math.max(...DEFAULT_SCHEMA_FILES.map((f) => statSync(f).mtimeMs)));
  schemaTime.setMilliseconds(0);
  const db = openDatabase(options.db, options.maxDbBytes === undefined ? {} : { maxBytes: options.maxDbBytes });
  try {
    const accounts = new AccountStore(db);
    const allocator = new Allocator(db, options.scopes ?? DEFAULT_SCOPES);
    const access = schemaAccess(schema);
    const codec: AttributeCodec = { encode: attributeList, values: attributeValues, read: readAttributeList };
    // Entries are stored with their attributes encoded as the protocol sends them.
    const entries = new EntryStore(db, storedAttributeEncoding(access, codec));
    const directory = new Directory({
      schema: access,
      entries,
      accounts,
      schemaTime,
      attributeCodec: codec,
      options: {
        suffix: options.suffix,
        ilsOpen: options.ilsOpen,
        ttl: options.ttl ?? DEFAULT_TTL_POLICY,
        conferenceGrace: options.conferenceGrace ?? DEFAULT_CONFERENCE_GRACE,
        vendorVersion: options.version,
        refuseClashes: options.refuseClashes === true,
        multicastLeases: allocator,
      },
    });
    // Every write then fails with SQLITE_READONLY, which clients hear as unwillingToPerform.
    if (options.readOnly) db.pragma('query_only = ON');
    return { db, directory, entries, accounts, allocator };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly directory: Directory;
  /** Stops listening, finishes in-flight operations, closes the database. */
  stop(): Promise<void>;
}

/** What the LDAP listener is started with. */
export function listenerOptions(options: ServerOptions): LdapServerOptions {
  return {
    host: options.host,
    port: options.port,
    tlsPort: options.tls ? (options.tlsPort ?? 1636) : undefined,
    tls: options.tls,
    requireTlsForBind: options.requireTlsForBind === true,
    limits: options.limits ?? {},
    busyPollMicros: options.busyPollMicros,
  };
}

/** Logs where the server listens; returns its ldap:// URL. */
export function announce(options: ServerOptions, ports: { port: number; tlsPort: number | undefined }, log: Logger, detail = ''): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `ldap://${host}:${ports.port}`;
  // LDAPS first: whoever waits for the ldap:// line then finds both.
  if (ports.tlsPort !== undefined) log.info(`listening on ldaps://${host}:${ports.tlsPort}`);
  log.info(`listening on ${url} (suffix ${options.suffix}, database ${options.db}${options.ilsOpen ? ', ILS open registration' : ''}${options.tls ? ', StartTLS' : ''}${detail})`);
  return url;
}

/**
 * The background work of the process that writes: expiry, and (unless read-only) filling the
 * time-clustered copy of the conferences while writes pause.
 */
export function startBackground(directory: Directory, options: Pick<ServerOptions, 'readOnly'>, log: Logger): void {
  directory.startExpiry();
  if (options.readOnly) return;
  directory.startWindowCopy(
    (p) => log.info(`time-clustered copy of the conferences up to date (${p.entries} entries read in ${(p.ms / 1000).toFixed(1)} s)`),
    (error) => log.warn(`time-clustered copy of the conferences: ${error.message}; time-window searches read the rest from the entries; trying again in a minute`),
  );
}

/** Starts the server, in this process or with worker processes (`workers`). */
export async function startServer(options: ServerOptions, log: Logger): Promise<RunningServer> {
  if ((options.workers ?? 1) > 1) {
    // Loaded only here: the primary's module imports this one.
    const { startWorkers } = await import('./workers.js');
    return startWorkers(options, log);
  }
  const { db, directory, allocator } = openDirectory(options);
  startBackground(directory, options, log);
  let ldap: LdapServer;
  let madcap: MadcapServer | undefined;
  try {
    madcap = await startMadcap(options, allocator, log);
    ldap = await LdapServer.start(directory, listenerOptions(options), log);
  } catch (error) {
    await closeCore({ madcap, directory, db });
    throw error;
  }
  const url = announce(options, { port: ldap.port, tlsPort: ldap.tlsPort }, log);
  return running(url, directory, async () => {
    await ldap.close();
    await closeCore({ madcap, directory, db });
    log.info('stopped');
  });
}

/** Closes MADCAP, the directory and the database, in that order. */
export async function closeCore(parts: { madcap: MadcapServer | undefined; directory: Directory; db: SqliteDatabase }): Promise<void> {
  await parts.madcap?.close();
  parts.directory.close();
  parts.db.close();
}

/** A running server whose `stop` runs once, however often it is called. */
export function running(url: string, directory: Directory, stop: () => Promise<void>): RunningServer {
  let stopping: Promise<void> | undefined;
  return { url, directory, stop: () => (stopping ??= stop()) };
}

/** Starts MADCAP beside the LDAP listener, unless turned off; the default port is given up with a warning when taken. */
export async function startMadcap(options: ServerOptions, allocator: Allocator, log: Logger): Promise<MadcapServer | undefined> {
  if (options.madcapPort === null) return undefined;
  const port = options.madcapPort ?? MADCAP_PORT;
  try {
    const madcap = await MadcapServer.start({ host: options.host, port, allocator, log });
    log.info(`madcap listening on ${madcap.url} (${allocator.scopes.length} scopes)`);
    return madcap;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (options.madcapPort !== undefined || (code !== 'EADDRINUSE' && code !== 'EACCES')) {
      throw new Error(`MADCAP cannot listen on udp port ${port}: ${code === 'EADDRINUSE' ? 'the address is in use' : (error as Error).message}`);
    }
    log.warn(`madcap: udp port ${port} is ${code === 'EADDRINUSE' ? 'in use' : 'not permitted'}; MADCAP is off (choose one with --madcap-port)`);
    return undefined;
  }
}
