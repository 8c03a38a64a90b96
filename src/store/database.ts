/**
 * Opening the SQLite file: durability settings and migrations from `schema/*.sql`.
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the SQL migrations live: `schema/NNN-name.sql`, applied in order. */
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/** A better-sqlite3 database handle. */
export type SqliteDatabase = Database.Database;

/**
 * Runs `fn` in one write transaction; nested calls become savepoints of the outer one.
 * BEGIN IMMEDIATE takes the write lock first: a transaction that read and then tried to
 * write while another process (a worker) committed would fail with SQLITE_BUSY_SNAPSHOT,
 * which no busy timeout can wait out.
 */
export function writeTransaction<T>(db: SqliteDatabase, fn: () => T): T {
  let run = runners.get(db);
  if (run === undefined) {
    run = db.transaction((body: () => unknown) => body());
    runners.set(db, run);
  }
  return run.immediate(fn) as T;
}

/**
 * One transaction function per database, given the body to run: better-sqlite3 builds
 * five wrapper functions for each `db.transaction(fn)`, and a write made two (its batch's
 * savepoint and its own), a quarter of what the writing process allocated per refresh.
 */
const runners = new WeakMap<SqliteDatabase, Database.Transaction<(body: () => unknown) => unknown>>();

/**
 * Opens (creating if needed) the database at `path`, or in memory for `:memory:`.
 *
 * WAL with `synchronous = FULL`: every commit is fsynced before the operation is
 * acknowledged, so an acknowledged write survives a crash or power cut; WAL keeps readers
 * from blocking the writer. A new file is readable by its owner only (it holds the password
 * hashes), and so are its -wal and -shm files, which SQLite creates with the file's mode.
 */
export function openDatabase(path: string, options: DatabaseOptions = {}): SqliteDatabase {
  if (path !== ':memory:') createPrivately(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Group commit runs each write in a savepoint of a shared transaction; SQLite journals a
  // savepoint's pages in a temporary file by default, which cost every add about 60 extra
  // write calls (a quarter of the add rate, measured). In memory, they cost a copy.
  db.pragma('temp_store = MEMORY');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  if (options.maxBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
  }
  return db;
}

/**
 * Creates the database file, empty, readable and writable by its owner only (0600), and the
 * directories above it that do not exist, 0700; an existing file keeps its mode.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** How to open the database. */
export interface DatabaseOptions {
  /** A quota: writes that would grow the file past it fail as if the disk were full. */
  maxBytes?: number;
}

/** Applies the migrations newer than the database's `user_version`, each in one transaction. */
export function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const files = readdirSync(SCHEMA_DIR)
    .filter((f) => /^\d+-.*\.sql$/.test(f))
    .sort();
  for (const file of files) {
    const version = Number.parseInt(file, 10);
    if (version <= current) continue;
    const sql = readFileSync(`${SCHEMA_DIR}${file}`, 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
