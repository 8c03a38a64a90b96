/**
 * Finding live entries: those whose TTL has not lapsed and whose conference has not ended.
 * Expired entries stay in the database until expiry deletes them (dynamic/expiry.ts), and
 * every operation looks past them, as if they were gone.
 */
import { isLiveAt, type EntryHead, type StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { OperationError, ResultCode } from '../errors.js';
import type { Name } from '../model/names.js';

/** Whether an entry is visible now (not expired). */
export const isLive = (ctx: DirectoryContext, entry: Pick<StoredEntry, 'expiresAt' | 'endsAt'>): boolean => isLiveAt(entry, ctx.now());

/** The live entry at `name`, or undefined. */
export function findLive(ctx: DirectoryContext, name: Name): StoredEntry | undefined {
  const entry = ctx.entries.get(name.ndn);
  return entry && isLive(ctx, entry) ? entry : undefined;
}

/**
 * The DN of the deepest live ancestor reached from the top, for noSuchObject's matchedDN.
 * The ancestors' normal forms are the tails of the name's (a comma inside a value is escaped
 * there), so none is parsed or formatted again; the walk goes down from the top and stops at
 * the first missing one, so it reads no more entries than exist above the name, whatever its
 * depth. (Building and parsing each ancestor's DN, bottom up, made a long DN cost the square
 * of its length.)
 */
export function matchedDn(ctx: DirectoryContext, name: Name): string {
  const { ndn } = name;
  let matched = '';
  for (let at = ndn.lastIndexOf(','); at > 0; at = ndn.lastIndexOf(',', at - 1)) {
    const ancestor = ctx.entries.head(ndn.slice(at + 1));
    if (!ancestor || !isLive(ctx, ancestor)) break;
    matched = ancestor.dn;
  }
  return matched;
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
  throw new OperationError(ResultCode.noSuchObject, `no such entry: ${dnText}`, matchedDn(ctx, name));
}
