/** Shared fixtures of the schema tests. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DEFAULT_SCHEMA_FILES, RENDEZVOUS_SCHEMA_FILE, Schema, STANDARD_SCHEMA_FILE } from '../../src/directory/schema/index.js';

export const standardText = readFileSync(STANDARD_SCHEMA_FILE, 'utf8');
export const rendezvousText = readFileSync(RENDEZVOUS_SCHEMA_FILE, 'utf8');

/** The server's schema (standard.schema + rendezvous.schema), built once. */
export const schema: Schema = Schema.fromSources(DEFAULT_SCHEMA_FILES.map((file) => ({ file: basename(file), text: readFileSync(file, 'utf8') })));

/** Builds a schema from standard.schema plus extra text (for malformed-definition tests). */
export function withStandard(extra: string, file = 'extra.schema'): Schema {
  return Schema.fromSources([
    { file: 'standard.schema', text: standardText },
    { file, text: extra },
  ]);
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an exception, none was thrown');
}
