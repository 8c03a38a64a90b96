/**
 * The directory in this process, for tests of its rules without a server or a client: an
 * in-memory database, the production schema and codec (openDirectory), a clock the test
 * moves, the identities the rules tell apart, and helpers to write attributes and read
 * refusals.
 */
import { readAttributeList } from '../../src/ldap/responses.js';
import { OperationError, LocalWriter, parseFilter, ResultCode, type Change, type EntryView, type ViewAttribute, type DirectoryTree, type Identity, type RawAttribute, type ResultCodeValue, type TtlPolicy } from '../../src/directory/index.js';
import { openDirectory } from '../../src/server/index.js';
import type { Allocator } from '../../src/mcast/index.js';
import type { SqliteDatabase } from '../../src/store/database.js';

export const SUFFIX = 'o=Intranet';
export const DYNAMIC = `ou=dynamic,${SUFFIX}`;
export const APPLICATIONS = `ou=applications,${SUFFIX}`;

/** 2030-01-01T00:00:00Z: the clock of these tests starts here. */
export const START = Date.UTC(2030, 0, 1);

const account = (name: string, admin = false): Identity => ({ dn: `cn=${name},ou=accounts,${SUFFIX}`, ndn: `cn=${name},ou=accounts,o=intranet`, admin, address: '192.0.2.1' });
export const admin = account('root', true);
export const alice = account('alice');
export const bob = account('bob');
/** An anonymous client at an address. */
export const anonymousAt = (address: string): Identity => ({ dn: '', ndn: '', admin: false, address });

/** A directory over an in-memory database. */
export interface TestDirectory {
  directory: DirectoryTree;
  db: SqliteDatabase;
  /** Writes as the server makes them: group-committed, through the write path. */
  writer: LocalWriter;
  /** The directory's clock, in ms: set it to move time. */
  clock: { now: number };
  /** The MADCAP allocator whose leases clash detection sees, on the same clock. */
  allocator: Allocator;
  close(): void;
}

export function openTestDirectory(options: { ilsOpen?: boolean; ttl?: TtlPolicy } = {}): TestDirectory {
  const clock = { now: START };
  const { db, directory, allocator } = openDirectory(
    { db: ':memory:', suffix: SUFFIX, ilsOpen: options.ilsOpen ?? false, version: 'test', ...(options.ttl ? { ttl: options.ttl } : {}) },
    () => clock.now,
  );
  return {
    directory,
    db,
    allocator,
    writer: new LocalWriter(directory),
    clock,
    close() {
      directory.close();
      db.close();
    },
  };
}

/** Attributes as a client sends them: `{ objectClass: ['person'], cn: 'x' }`. */
export function attributes(values: Record<string, string | readonly string[]>): RawAttribute[] {
  return Object.entries(values).map(([type, v]) => ({ type, values: (typeof v === 'string' ? [v] : v).map((s) => Buffer.from(s)) }));
}

/** One change of a modify request. */
export function change(operation: Change['operation'], type: string, ...values: string[]): Change {
  return { operation, modification: { type, values: values.map((v) => Buffer.from(v)) } };
}

/** The DirectoryError `write` throws; fails when it throws none, or another error. */
function refused(write: () => unknown): OperationError {
  try {
    write();
  } catch (error) {
    if (error instanceof OperationError) return error;
    throw error;
  }
  throw new Error('the directory did not refuse');
}

/** The result code of the DirectoryError `write` throws. */
export const refusal = (write: () => unknown): ResultCodeValue => refused(write).code;

/** The message of the DirectoryError `write` throws. */
export const refusalMessage = (write: () => unknown): string => refused(write).message;

/**
 * Reads one entry's attributes (those named, or all user attributes) by their lower-case
 * names, or undefined when the search finds none.
 */
export function read(directory: DirectoryTree, dn: string, attributeNames: string[] = []): Map<string, string[]> | undefined {
  // All user attributes, and objectClass by name: a selection that is not exactly '*', which
  // a search would answer with the stored encoding instead of a list.
  const selection = attributeNames.length === 0 ? ['*', 'objectClass'] : attributeNames;
  let result;
  try {
    [result] = [...directory.search(admin, { base: dn, scope: 'base', filter: parseFilter('(objectClass=*)'), attributes: selection, typesOnly: false })];
  } catch (error) {
    if (error instanceof OperationError && error.code === ResultCode.noSuchObject) return undefined;
    throw error;
  }
  if (!result) return undefined;
  return new Map(viewAttributes(result.view).map((a) => [a.name.toLowerCase(), a.values]));
}

/** A view's attributes, read from the stored bytes it carries when it is one (as the wire sends them). */
export function viewAttributes(view: EntryView): ViewAttribute[] {
  return view.encoded ? readAttributeList(view.encoded, () => false) : view.attributes;
}

/** The entryTTL an entry reads (seconds left), or undefined for a static entry. */
export function entryTtl(directory: DirectoryTree, dn: string): number | undefined {
  const ttl = read(directory, dn, ['entryTTL'])?.get('entryttl')?.[0];
  return ttl === undefined ? undefined : Number(ttl);
}

/** A dynamic person under ou=dynamic. */
export const person = (cn: string): RawAttribute[] => attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn });
