/**
 * The store: one SQLite file holding the directory's entries, the accounts for simple binds
 * and (for src/mcast) the multicast leases. What it offers the layers above:
 *
 * - {@link openDatabase}: the file opened with its durability settings and migrated
 *   (`schema/*.sql`); {@link writeTransaction} for writes outside the entry store.
 * - {@link EntryStore}: entries by name, their writes with the index tables kept in step,
 *   scans of a scope through an {@link IndexQuery}, the deadlines of dynamic entries and
 *   conferences, the multicast groups conferences use, and the time-clustered copy of
 *   bounded conferences.
 * - The row model: {@link StoredEntry} and its parts.
 * - {@link WriteBatch}: group commit of writes that arrive together.
 * - {@link AccountStore}: bind accounts (hashes only).
 * - {@link ChangeLog}: every change of an entry, in order, bounded (`entries.changes`).
 *
 * The store knows SQL, not LDAP: what is indexable, how a DN is parsed, and how attributes
 * are encoded are decided above it and handed in. It imports nothing from src/directory or
 * src/ldap.
 */
export { ChangeLog, type ChangeKind, type ChangeRow, type NewChange } from './change-log.js';
export { AccountStore, type AccountClash, type AccountRecord } from './accounts.js';
export type { AttributeEncoding, StoredAttributes } from './attribute-cache.js';
export type { GroupRange } from './conference-groups.js';
export { openDatabase, writeTransaction, type DatabaseOptions, type SqliteDatabase } from './database.js';
export { entryPath, isLiveAt, OPEN_END, PATH_SEPARATOR, type EntryHead, type IndexRow, type Span, type StoredEntry } from './entry.js';
export { EntryStore } from './entry-store.js';
export type { IndexQuery, ScanColumn, ScanRequest } from './query.js';
export { WriteBatch } from './write-batch.js';
