/**
 * LDAP writes as data, so that they can be carried to the process that applies them: with
 * worker processes every write goes to the primary (src/server/workers.ts), which is then
 * the only process writing the database. One writer means no two processes queue on the
 * SQLite lock (its busy handler sleeps in milliseconds), and group commit gathers the
 * writes of all connections, not of one worker's.
 */
import type { RawAttribute } from './attributes.js';
import type { Identity } from './context.js';
import type { Directory } from './directory.js';
import { DirectoryError, type ResultCodeValue } from './errors.js';
import type { Change } from './operations/modify.js';

/** One write, with who asks for it. */
export type WriteRequest =
  | { op: 'add'; identity: Identity; dn: string; attributes: readonly RawAttribute[] }
  | { op: 'modify'; identity: Identity; dn: string; changes: readonly Change[] }
  | { op: 'delete'; identity: Identity; dn: string }
  | { op: 'refresh'; identity: Identity; dn: string; ttl: number };

/** Applies writes; resolves once the write is durable (refresh: with the TTL granted). */
export interface Writer {
  write(request: WriteRequest): Promise<number | undefined>;
}

/** Writes applied by this process's directory, group-committed. */
export class LocalWriter implements Writer {
  readonly #directory: Directory;

  constructor(directory: Directory) {
    this.#directory = directory;
  }

  write(request: WriteRequest): Promise<number | undefined> {
    const d = this.#directory;
    return d.batched((): number | undefined => {
      switch (request.op) {
        case 'add':
          d.add(request.identity, request.dn, request.attributes);
          return undefined;
        case 'modify':
          d.modify(request.identity, request.dn, request.changes);
          return undefined;
        case 'delete':
          d.delete(request.identity, request.dn);
          return undefined;
        case 'refresh':
          return d.refresh(request.identity, request.dn, request.ttl);
      }
    });
  }
}

/** A failed write as data: an LDAP result, or another error with its code (SQLITE_FULL...). */
export type WriteFailure = { kind: 'directory'; code: ResultCodeValue; message: string; matchedDN: string } | { kind: 'error'; code: string | undefined; message: string };

/** Describes what a write threw, for another process. */
export function describeFailure(error: unknown): WriteFailure {
  if (error instanceof DirectoryError) return { kind: 'directory', code: error.code, message: error.message, matchedDN: error.matchedDN };
  const code = (error as { code?: unknown }).code;
  return { kind: 'error', code: typeof code === 'string' ? code : undefined, message: error instanceof Error ? error.message : String(error) };
}

/** The error a failure describes, to throw where the write was asked for. */
export function failureError(failure: WriteFailure): Error {
  if (failure.kind === 'directory') return new DirectoryError(failure.code, failure.message, failure.matchedDN);
  return Object.assign(new Error(failure.message), failure.code === undefined ? {} : { code: failure.code });
}

/** Values received over IPC may arrive as plain Uint8Arrays: make them Buffers again. */
export function reviveWrite(request: WriteRequest): WriteRequest {
  const buffer = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  const buffers = (a: RawAttribute): RawAttribute => ({ type: a.type, values: a.values.map(buffer) });
  switch (request.op) {
    case 'add':
      return { ...request, attributes: request.attributes.map(buffers) };
    case 'modify':
      return { ...request, changes: request.changes.map((c) => ({ operation: c.operation, modification: buffers(c.modification) })) };
    default:
      return request;
  }
}
