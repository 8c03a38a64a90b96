/**
 * The core of the process that writes: the database, the schema and the directory built
 * over them, the background work (expiry, the time-clustered copy), and MADCAP. Started in
 * that order by {@link startCore} and stopped in reverse by {@link Core.close}; the LDAP
 * listener goes on top (src/server/assembly.ts).
 */
import { statSync } from 'node:fs';
import {
  accountKey,
  storedAttributeEncoding,
  DEFAULT_CONFERENCE_GRACE,
  DEFAULT_SCHEMA_FILES,
  DEFAULT_TTL_POLICY,
  DirectoryTree,
  loadSchemaSync,
  schemaAccess,
  type AttributeCodec,
} from '../directory/index.js';
import { attributeList, attributeValues, readAttributeList, selectAttributes } from '../ldap/responses.js';
import type { Logger } from '../log.js';
import { Allocator } from '../mcast/allocator.js';
import { DEFAULT_SCOPES } from '../mcast/scopes.js';
import { MADCAP_PORT, MadcapServer } from '../mcast/server.js';
import { AccountStore, EntryStore, openDatabase, type AccountClash, type SqliteDatabase } from '../store/index.js';
import { DEFAULT_MAX_DB_BYTES, DEFAULT_SYNC_LOG, type ServerOptions, type SyncLogBounds } from './options.js';

/**
 * Opens the database and builds the directory over it: the first step of {@link startCore},
 * and all of the core a worker process has; `now` is the directory's clock (tests move it).
 */
export function openDirectory(
  options: Pick<ServerOptions, 'db' | 'suffix' | 'ilsOpen' | 'ttl' | 'conferenceGrace' | 'version' | 'maxDbBytes' | 'readOnly' | 'scopes' | 'refuseClashes'>,
  now?: () => number,
): { db: SqliteDatabase; directory: DirectoryTree; entries: EntryStore; accounts: AccountStore; allocator: Allocator } {
  const schema = loadSchemaSync();
  const schemaTime = new Date(Math.max(...DEFAULT_SCHEMA_FILES.map((f) => statSync(f).mtimeMs)));
  schemaTime.setMilliseconds(0);
  const maxBytes = options.maxDbBytes ?? DEFAULT_MAX_DB_BYTES;
  const db = openDatabase(options.db, maxBytes > 0 ? { maxBytes } : {});
  try {
    const accounts = new AccountStore(db, accountKey);
    const clashes = accounts.assignKeys();
    if (clashes.length > 0) throw new Error(clashMessage(clashes, options.db));
    // The directory's clock, when given one (tests), is the allocator's too: leases and conferences share one time.
    const allocator = new Allocator(db, options.scopes ?? DEFAULT_SCOPES, now === undefined ? {} : { now });
    const access = schemaAccess(schema);
    const codec: AttributeCodec = { encode: attributeList, values: attributeValues, read: readAttributeList, select: selectAttributes };
    // Entries are stored with their attributes encoded as the protocol sends them.
    const entries = new EntryStore(db, storedAttributeEncoding(access, codec));
    const directory = new DirectoryTree({
      schema: access,
      entries,
      accounts,
      schemaTime,
      ...(now === undefined ? {} : { now }),
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

/** Why the server will not start on accounts that differ only in case or spaces. */
function clashMessage(clashes: readonly AccountClash[], db: string): string {
  const pairs = clashes.map((c) => `${JSON.stringify(c.name)} and ${JSON.stringify(c.clashesWith)}`).join(', ');
  const first = clashes[0]!.name;
  return (
    `accounts ${pairs} differ only in case or spaces, so they would bind as one DN and own the same entries; ` +
    `delete one of each pair (rendezvous account delete --db ${db} ${JSON.stringify(first)}) and start again`
  );
}

/** The running core of the process that writes. */
export interface Core {
  readonly directory: DirectoryTree;
  /** Closes MADCAP, stops the background work and closes the database, in that order. */
  close(): Promise<void>;
}

/** Opens the database and the directory, starts the background work, then MADCAP. */
export async function startCore(options: ServerOptions, log: Logger): Promise<Core> {
  const { db, directory, allocator } = openDirectory(options);
  const stopBackground = startBackground(directory, options, log);
  const close = async (madcap: MadcapServer | undefined): Promise<void> => {
    await madcap?.close();
    stopBackground();
    directory.close();
    db.close();
  };
  let madcap: MadcapServer | undefined;
  try {
    madcap = await startMadcap(options, allocator, log);
  } catch (error) {
    await close(undefined);
    throw error;
  }
  return { directory, close: () => close(madcap) };
}

/**
 * The background work of the process that writes: expiry, and (unless read-only) keeping the
 * change log within its bounds and filling the time-clustered copy of the conferences while
 * writes pause. Returns how to stop what the directory does not stop itself.
 */
function startBackground(directory: DirectoryTree, options: Pick<ServerOptions, 'readOnly' | 'syncLog'>, log: Logger): () => void {
  directory.startExpiry();
  if (options.readOnly) return () => undefined;
  const purge = startLogPurge(directory, options.syncLog ?? DEFAULT_SYNC_LOG, log);
  directory.startWindowCopy(
    (p) => log.info(`time-clustered copy of the conferences up to date (${p.entries} entries read in ${(p.ms / 1000).toFixed(1)} s)`),
    (error) => log.warn(`time-clustered copy of the conferences: ${error.message}; time-window searches read the rest from the entries; trying again in a minute`),
  );
  return purge;
}

/** How often the change log is cut to its bounds. */
const PURGE_MS = 10_000;

/**
 * Keeps the change log within its bounds: at start, then every {@link PURGE_MS}, as a write of
 * the batch (the log is written in the writes' transactions). Returns how to stop.
 */
function startLogPurge(directory: DirectoryTree, bounds: SyncLogBounds, log: Logger): () => void {
  const purge = (): void => {
    directory.batched(() => directory.purgeChanges(bounds.keep, bounds.maxAgeMs)).catch((error: unknown) => log.warn(`change log: cannot forget old changes: ${(error as Error).message}; trying again in ${PURGE_MS / 1000} s`));
  };
  purge();
  const timer = setInterval(purge, PURGE_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Starts MADCAP beside the LDAP listener, unless turned off; the default port is given up with a warning when taken. */
async function startMadcap(options: ServerOptions, allocator: Allocator, log: Logger): Promise<MadcapServer | undefined> {
  if (options.madcapPort === null) return undefined;
  const port = options.madcapPort ?? MADCAP_PORT;
  try {
    const madcap = await MadcapServer.start({ host: options.host, port, allocator, log, ...(options.madcapClockSkew === undefined ? {} : { maxClockSkew: options.madcapClockSkew }) });
    log.info(`madcap listening on ${madcap.url} (${allocator.scopes.length} scopes)`);
    if (madcap.groups.length > 0) log.info(`madcap listening on the MADCAP server multicast addresses ${madcap.groups.join(', ')} (port ${madcap.address.port})`);
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
