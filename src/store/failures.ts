/**
 * What a failed SQLite call means to its caller, read from SQLite's extended result code
 * (better-sqlite3 puts it in the error's `code`): the store's own words for its failures,
 * so that the layers above act on them without knowing SQLite's codes.
 */

/**
 * Why the storage could not do what it was asked: `full` (the disk, or the quota of
 * `max_page_count`), `readOnly` (the file, or `query_only`), `busy` (another connection
 * holds the lock past the busy timeout), `unwritable` (an I/O error, or the file cannot be
 * opened).
 */
export type StorageFailureKind = 'full' | 'readOnly' | 'busy' | 'unwritable';

/** A classified storage failure. */
export interface StorageFailure {
  kind: StorageFailureKind;
  /** SQLite's extended result code, such as SQLITE_IOERR_WRITE. */
  code: string;
}

/** The storage failure `error` is, or undefined for any other error (a bug, a refusal). */
export function storageFailure(error: unknown): StorageFailure | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code.startsWith('SQLITE_FULL')) return { kind: 'full', code };
  if (code.startsWith('SQLITE_READONLY')) return { kind: 'readOnly', code };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { kind: 'busy', code };
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return { kind: 'unwritable', code };
  return undefined;
}
