/**
 * Every change of an entry passes here, inside the write transaction that makes it: adds
 * (application containers created on first use included), modifies (of entryTTL too),
 * deletes, refreshes (the RFC 2589 operation and the ILS sTTL search term), and the deletions
 * of expiry (a TTL lapsed, a conference ended, or an expired entry an add replaces).
 *
 * Each change gets the next CSN, which becomes the entry's entryCSN, and a row in the change
 * log (src/store/change-log.ts), in the same SQLite transaction: the log holds every
 * committed change and nothing else. An add, modify or refresh takes its CSN ({@link takeCsn})
 * just before it writes the entry's row, which carries it (one statement per write, not a
 * second UPDATE of the row for its entryCSN), and records the change right after, before any
 * other change takes one: CSNs then increase in the log's order. Once the transaction is over, the process's change feed
 * wakes (sync/feed.ts) and with it every live search. The directory's events (added,
 * modified, deleted, expired) are emitted from here for their listeners (the expiry timer);
 * they are heard before the commit, and a failed commit leaves a listener having heard of a
 * change that was undone (the expiry timer then wakes for nothing).
 */
import type { EntryHead, StoredEntry } from '../store/index.js';
import type { DirectoryContext } from './context.js';

/** One change of one entry. */
export type EntryChange =
  | { kind: 'added'; entry: StoredEntry }
  /**
   * A refresh reads and reports only the entry's head (no attributes); a modify that changed
   * the attributes gives the entry as it was `before` (the log keeps its attributes, from its
   * stored encoding when it has one).
   */
  | { kind: 'modified'; entry: EntryHead; previous: EntryHead; before?: Pick<StoredEntry, 'attributes' | 'encoded'> }
  | { kind: 'deleted'; entry: StoredEntry }
  /** Removed because its TTL lapsed or its conference ended; not by a client. */
  | { kind: 'expired'; entry: StoredEntry };

/**
 * The CSN of an add, modify or refresh about to be written: the entry's row is written with it
 * as its entryCSN, then the change is recorded with it ({@link recordChange}) before any other
 * change takes one.
 */
export function takeCsn(ctx: DirectoryContext): string {
  return ctx.csn.next(ctx.now());
}

/**
 * Records a change made in the open write transaction, and tells the directory's listeners.
 * `csn` is the one an added or modified entry's row was written with ({@link takeCsn}); a
 * delete takes its own here.
 *
 * @throws Error when no transaction is open (a change recorded after its commit could be lost
 *   to the change feed), or when an add or modify comes without the newest CSN taken (its
 *   row's entryCSN would not be its change's, or the log's CSNs out of order): defects of
 *   the caller.
 */
export function recordChange(ctx: DirectoryContext, change: EntryChange, csn?: string): void {
  if (!ctx.entries.inTransaction) throw new Error(`an entry change (${change.kind} ${change.entry.dn}) must be recorded inside the transaction that makes it`);
  const at = ctx.now();
  const { entry } = change;
  if (change.kind === 'added' || change.kind === 'modified') {
    if (csn === undefined || csn !== ctx.csn.newest) throw new Error(`an entry change (${change.kind} ${entry.dn}) must be recorded with the CSN its row was written with, the newest taken`);
  } else csn = ctx.csn.next(at);
  const common = { csn, uuid: entry.uuid, dn: entry.dn, path: entry.path, at };
  switch (change.kind) {
    case 'added':
      ctx.entries.changes.append({ ...common, kind: 'add', expired: false });
      ctx.events.emit('added', change.entry);
      break;
    case 'modified':
      ctx.entries.changes.append({ ...common, kind: 'modify', expired: false, ...(change.before === undefined ? {} : { before: change.before }) });
      ctx.events.emit('modified', change.entry, change.previous);
      break;
    case 'deleted':
    case 'expired':
      ctx.entries.changes.append({ ...common, kind: 'delete', expired: change.kind === 'expired', before: change.entry });
      ctx.events.emit(change.kind, change.entry);
      break;
  }
  ctx.feed.wakeSoon();
}
