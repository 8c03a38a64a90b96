/**
 * Every change of an entry passes here, inside the write transaction that makes it: adds
 * (application containers created on first use included), modifies (of entryTTL too),
 * deletes, refreshes (the RFC 2589 operation and the ILS sTTL search term), and the deletions
 * of expiry (a TTL lapsed, a conference ended, or an expired entry an add replaces).
 *
 * This is where a change feed hooks: what it records here is written in the same SQLite
 * transaction as the change, so it holds every committed change and nothing else. The
 * directory's events (added, modified, deleted, expired) are emitted from here for their
 * listeners (the expiry timer); they are heard before the commit, and a failed commit leaves
 * a listener having heard of a change that was undone (the expiry timer then wakes for
 * nothing).
 */
import type { EntryHead, StoredEntry } from '../store/index.js';
import type { DirectoryContext } from './context.js';

/** One change of one entry. */
export type EntryChange =
  | { kind: 'added'; entry: StoredEntry }
  /** A refresh reads and reports only the entry's head (no attributes). */
  | { kind: 'modified'; entry: EntryHead; previous: EntryHead }
  | { kind: 'deleted'; entry: StoredEntry }
  /** Removed because its TTL lapsed or its conference ended; not by a client. */
  | { kind: 'expired'; entry: StoredEntry };

/**
 * Records a change made in the open write transaction, and tells the directory's listeners.
 *
 * @throws Error when no transaction is open: a change recorded after its commit could be lost
 *   to a change feed, which is a defect of the caller.
 */
export function recordChange(ctx: DirectoryContext, change: EntryChange): void {
  if (!ctx.entries.inTransaction) throw new Error(`an entry change (${change.kind} ${change.entry.dn}) must be recorded inside the transaction that makes it`);
  switch (change.kind) {
    case 'added':
    case 'deleted':
    case 'expired':
      ctx.events.emit(change.kind, change.entry);
      return;
    case 'modified':
      ctx.events.emit('modified', change.entry, change.previous);
      return;
  }
}
