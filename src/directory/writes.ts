/**
 * LDAP writes as data, so that they can be carried to the process that applies them: with
 * worker processes every write goes to the primary (src/server/workers.ts), which is then
 * the only process writing the database. One writer means no two processes queue on the
 * SQLite lock (its busy handler sleeps in milliseconds), and group commit gathers the
 * writes of all connections, not of one worker's.
 */
import type { RawAttribute } from './model/attributes.js';
import type { Identity } from './context.js';
import type { DirectoryTree } from './directory.js';
import { OperationError, type ResultCodeValue } from './errors.js';
import type { Change } from './operations/modify.js';
import type { PreparedAdd } from './operations/add.js';
import type { SttlRefresh } from './dynamic/sttl.js';
import type { PasswordChange } from './operations/password-modify.js';
import { storageRefusal } from './storage-refusals.js';

/**
 * One write, with who asks for it. `prepared` is an add already checked where it arrived
 * ({@link prepareWrite}), as a worker hands it to the writing process.
 */
export type WriteRequest =
  | { op: 'add'; identity: Identity; dn: string; attributes: readonly RawAttribute[] }
  | { op: 'prepared'; add: PreparedAdd }
  | { op: 'modify'; identity: Identity; dn: string; changes: readonly Change[] }
  | { op: 'delete'; identity: Identity; dn: string }
  | { op: 'refresh'; identity: Identity; dn: string; ttl: number }
  /** The refresh an ILS `(sttl=N)` search asks for (DirectoryTree.sttlRefresh), made before the search reads. */
  | { op: 'sttl'; identity: Identity; refresh: SttlRefresh }
  /** A password modify (RFC 3062) checked and hashed where it arrived (DirectoryTree.preparePasswordChange). */
  | { op: 'password'; identity: Identity; change: PasswordChange };

/** A write as the writing process applies it: an add arrives prepared. */
export type PreparedWrite = Exclude<WriteRequest, { op: 'add' }>;

/** Applies writes; resolves once the write is durable (refresh: with the TTL granted; sttl: with how many entries it refreshed). */
export interface Writer {
  write(request: WriteRequest): Promise<number | undefined>;
}

/** Writes applied by this process's directory, group-committed. */
export class LocalWriter implements Writer {
  readonly #directory: DirectoryTree;

  constructor(directory: DirectoryTree) {
    this.#directory = directory;
  }

  /** Resolves as {@link Writer.write}; a storage failure rejects as its refusal ({@link storageRefusal}). */
  write(request: WriteRequest): Promise<number | undefined> {
    return this.#apply(request).catch((error: unknown) => {
      throw storageRefusal(error);
    });
  }

  #apply(request: WriteRequest): Promise<number | undefined> {
    const d = this.#directory;
    let write: PreparedWrite;
    try {
      // Before the batch: the checking is the costly part of an add, and other writes'
      // transaction need not wait for it.
      write = prepareWrite(d, request);
    } catch (error) {
      return Promise.reject(error);
    }
    return d.batched((): number | undefined => {
      switch (write.op) {
        case 'prepared':
          d.commitAdd(write.add);
          return undefined;
        case 'modify':
          d.modify(write.identity, write.dn, write.changes);
          return undefined;
        case 'delete':
          d.delete(write.identity, write.dn);
          return undefined;
        case 'refresh':
          return d.refresh(write.identity, write.dn, write.ttl);
        case 'sttl':
          return d.refreshMatched(write.identity, write.refresh);
        case 'password':
          d.applyPasswordChange(write.identity, write.change);
          return undefined;
      }
    });
  }
}

/**
 * Does the part of a write that needs no database where the request arrived: an add is
 * checked and completed ({@link DirectoryTree.prepareAdd}); other writes pass as they are.
 * Throws, as the write would, for bad input.
 */
export function prepareWrite(directory: DirectoryTree, request: WriteRequest): PreparedWrite {
  return request.op === 'add' ? { op: 'prepared', add: directory.prepareAdd(request.identity, request.dn, request.attributes) } : request;
}

/**
 * A failed write as data: an LDAP result (with the message of what caused it, when the
 * storage failed beneath it), or another error with its code.
 */
export type WriteFailure =
  | { kind: 'directory'; code: ResultCodeValue; message: string; matchedDN: string; cause?: string }
  | { kind: 'error'; code: string | undefined; message: string };

/** Describes what a write threw, for another process. */
export function describeFailure(error: unknown): WriteFailure {
  if (error instanceof OperationError) {
    const failure: WriteFailure = { kind: 'directory', code: error.code, message: error.message, matchedDN: error.matchedDN };
    return error.cause === undefined ? failure : { ...failure, cause: error.cause instanceof Error ? error.cause.message : String(error.cause) };
  }
  const code = (error as { code?: unknown }).code;
  return { kind: 'error', code: typeof code === 'string' ? code : undefined, message: error instanceof Error ? error.message : String(error) };
}

/** The error a failure describes, to throw where the write was asked for. */
export function failureError(failure: WriteFailure): Error {
  if (failure.kind === 'directory') {
    return new OperationError(failure.code, failure.message, failure.matchedDN, failure.cause === undefined ? undefined : { cause: new Error(failure.cause) });
  }
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
    case 'prepared': {
      const { forms } = request.add;
      return { ...request, add: { ...request.add, forms: { ...forms, encoded: forms.encoded === null ? null : buffer(forms.encoded) } } };
    }
    default:
      return request;
  }
}
