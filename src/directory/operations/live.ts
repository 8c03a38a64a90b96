/**
 * Finding live entries: those whose TTL has not lapsed and whose conference has not ended.
 * Expired entries stay in the database until expiry deletes them (dynamic/expiry.ts), and
 * every operation looks past them, as if they were gone.
 */
import { isLiveAt, type EntryHead, type StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { DirectoryError, ResultCode } from '../errors.js';
import { formatDn } from '../model/dn.js';
import type { Name } from '../model/names.js';

/** Whether an entry is visible now (not expired). */
export const isLive = (ctx: DirectoryContext, entry: Pick<StoredEntry, 'expiresAt' | 'endsAt'>): boolean => isLiveAt(entry, ctx.now());

/** The live entry at `name`, or undefined. */
export function findLive(ctx: DirectoryContext, name: Name): StoredEntry | undefined {
  const entry = ctx.entries.get(name.ndn);
  return entry && isLive(ctx, entry) ? entry : undefined;
}

/** The deepest existing ancestor's DN, for noSuchObject's matchedDN. */
export function matchedDn(ctx: DirectoryContext, name: Name): string {
  for (let i = 1; i < name.dn.length; i += 1) {
    const ancestor = ctx.names.parse(formatDn(name.dn.slice(i)));
    const entry = findLive(ctx, ancestor);
    if (entry) return entry.dn;
  }
  return '';
}

/** The live entry at `name`, or noSuchObject with the matched DN. */
export function requireLive(ctx: DirectoryContext, name: Name, dnText: string): StoredEntry {
  return live(ctx, name, dnText, ctx.entries.get(name.ndn));
}

/** The head of the live entry at `name` (its attributes not read: {@link EntryHead}), or noSuchObject. */
export function requireLiveHead(ctx: DirectoryContext, name: Name, dnText: string): EntryHead {
  return live(ctx, name, dnText, ctx.entries.head(name.ndn));
}

function live<E extends EntryHead>(ctx: DirectoryContext, name: Name, dnText: string, entry: E | undefined): E {
  if (entry && isLive(ctx, entry)) return entry;
  throw new DirectoryError(ResultCode.noSuchObject, `no such entry: ${dnText}`, matchedDn(ctx, name));
}
