/**
 * Delete (RFC 4511 §4.8): leaves only.
 */
import type { StoredEntry } from '../../store/index.js';
import { checkOwner } from '../access.js';
import type { DirectoryContext, Identity } from '../context.js';
import { requireLive } from './live.js';
import { recordChange } from '../changes.js';
import { DirectoryError, ResultCode } from '../errors.js';

/** Deletes an entry; returns what it was. */
export function remove(ctx: DirectoryContext, identity: Identity, dnText: string): StoredEntry {
  const name = ctx.names.parse(dnText);
  return ctx.entries.transaction(() => {
    const existing = requireLive(ctx, name, dnText);
    checkOwner(identity, existing, 'delete');
    if (ctx.entries.hasChildren(existing.ndn, ctx.now())) {
      throw new DirectoryError(ResultCode.notAllowedOnNonLeaf, `${dnText} has entries below it; delete those first`);
    }
    ctx.entries.delete(existing.id);
    recordChange(ctx, { kind: 'deleted', entry: existing });
    return existing;
  });
}
