/**
 * Databases as older servers left them, for the migration tests: the migrations up to a
 * version applied, the rows then written by the test as the store of that version wrote them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const SCHEMA = join(import.meta.dirname, '../../schema');

/** Creates the database at `path` with the migrations up to `version` applied, as a server of that version made it. */
export function databaseAt(path: string, version: number): void {
  const db = new Database(path);
  for (const file of readdirSync(SCHEMA).filter((f) => /^\d+-.*\.sql$/.test(f)).sort()) {
    if (Number.parseInt(file, 10) > version) continue;
    db.exec(readFileSync(join(SCHEMA, file), 'utf8'));
  }
  db.pragma(`user_version = ${version}`);
  db.close();
}
