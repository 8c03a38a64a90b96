/**
 * Delete (RFC 4511 §4.8). An entry clients added under the ILS containers goes with what is
 * below it (its owner owns its subtree: nobody else can add there); the containers and the
 * rest of the static tree are deleted only when empty, as in slapd. An application container
 * goes with the last entry below it.
 */
import type { StoredEntry } from '../../store/index.js';
import { checkOwner, ownsSubtree } from '../access.js';
import type { DirectoryContext, Identity } from '../context.js';
import { parentNdn } from '../model/names.js';
import { requireLive } from './live.js';
import { recordChange } from '../changes.js';
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
    for (const entry of ctx.entries.deleteTree(existing)) recordChange(ctx, { kind: 'deleted', entry });
    removeEmptyApplicationContainers(ctx, [existing.parent]);
    return existing;
  });
}

/**
 * Deletes, in the open write transaction, the application containers among `ndns`
 * (normalised DNs) that have no live entry below them left, with what expired there: a
 * container appears with the first registration below it (operations/add.ts) and goes with
 * the last, deleted or expired.
 */
export function removeEmptyApplicationContainers(ctx: DirectoryContext, ndns: Iterable<string>): void {
  for (const ndn of new Set(ndns)) {
    if (parentNdn(ndn) !== ctx.applicationsNdn || ctx.entries.hasChildren(ndn, ctx.now())) continue;
    const container = ctx.entries.get(ndn);
    if (container) for (const entry of ctx.entries.deleteTree(container)) recordChange(ctx, { kind: 'deleted', entry });
  }
}
