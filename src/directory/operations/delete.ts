/**
 * Delete (RFC 4511 §4.8). An entry clients added under the ILS containers goes with what is
 * below it (its owner owns its subtree: nobody else can add there); the containers and the
 * rest of the static tree are deleted only when empty, as in slapd. An application container
 * goes with the last entry below it, and a NetMeeting person with its application entry
 * (operations/registrations.ts).
 */
import type { StoredEntry } from '../../store/index.js';
import { checkOwner, ownsSubtree } from '../access.js';
import type { DirectoryContext, Identity } from '../context.js';
import { requireLive } from './live.js';
import { recordChange } from '../changes.js';
import { removeApplicationEntries, removeEmptyApplicationContainers } from './registrations.js';
import { keepClashFlags } from '../conferences/clash-flags.js';
import { OperationError, ResultCode } from '../errors.js';

/** Deletes an entry (with its subtree, where it owns one); returns what it was. */
export function remove(ctx: DirectoryContext, identity: Identity, dnText: string): StoredEntry {
  const name = ctx.names.parse(dnText);
  return ctx.entries.transaction(() => {
    const existing = requireLive(ctx, name, dnText);
    checkOwner(ctx, identity, name, existing, 'delete');
    if (!ownsSubtree(ctx, name) && ctx.entries.hasChildren(existing.ndn, ctx.now())) {
      throw new OperationError(ResultCode.notAllowedOnNonLeaf, `${dnText} has entries below it; delete those first`);
    }
    const deleted = ctx.entries.deleteTree(existing);
    for (const entry of deleted) recordChange(ctx, { kind: 'deleted', entry });
    // Conferences that clashed with a deleted one may no longer clash.
    keepClashFlags(ctx, [], deleted);
    // A NetMeeting person's application entry goes with it ([MS-TAIL] §3.5.4).
    removeApplicationEntries(ctx, deleted);
    removeEmptyApplicationContainers(ctx, [existing.parent]);
    return existing;
  });
}
