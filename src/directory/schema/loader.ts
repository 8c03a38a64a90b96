/**
 * Reads schema files from disk: the only module of the schema package that does I/O.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Schema } from './schema.js';

/** The `schema/` directory of the package (same place from src/ and from dist/). */
export const SCHEMA_DIRECTORY: string = fileURLToPath(new URL('../../../schema/', import.meta.url));

/** The standard definitions (not for slapd; see the file header). */
export const STANDARD_SCHEMA_FILE: string = fileURLToPath(new URL('../../../schema/standard.schema', import.meta.url));

/** The ILS classes and attributes (loads unchanged into slapd). */
export const RENDEZVOUS_SCHEMA_FILE: string = fileURLToPath(new URL('../../../schema/rendezvous.schema', import.meta.url));

/** The files of the server's schema, in load order. */
export const DEFAULT_SCHEMA_FILES: readonly string[] = [STANDARD_SCHEMA_FILE, RENDEZVOUS_SCHEMA_FILE];

/**
 * Reads and builds a schema from files, in order. Error messages name each file by its
 * base name (`rendezvous.schema:42:3: ...`).
 *
 * @throws {@link SchemaParseError} or {@link SchemaError}; file system errors as thrown by node.
 */
export async function loadSchema(files: readonly string[] = DEFAULT_SCHEMA_FILES): Promise<Schema> {
  const sources = await Promise.all(files.map(async (file) => ({ file: basename(file), text: await readFile(file, 'utf8') })));
  return Schema.fromSources(sources);
}

/** {@link loadSchema}, synchronously (for start-up code). */
export function loadSchemaSync(files: readonly string[] = DEFAULT_SCHEMA_FILES): Schema {
  return Schema.fromSources(files.map((file) => ({ file: basename(file), text: readFileSync(file, 'utf8') })));
}
