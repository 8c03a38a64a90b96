/**
 * Refresh of a dynamic entry (RFC 2589 §4.1): grants a new time to live. Every refresh (this
 * operation, the ILS sTTL search term) sets the new deadline through {@link extendTtl}.
 */
import { checkOwner } from '../access.js';
import type { DirectoryContext, Identity } from '../context.js';
import { requireLiveHead } from '../operations/live.js';
import { recordChange, takeCsn } from '../changes.js';
import { OperationError, ResultCode } from '../errors.js';
import type { EntryHead } from '../../store/index.js';
import { grantTtl } from './ttl.js';

/** Refreshes an entry; returns the TTL granted, in seconds. */
export function refresh(ctx: DirectoryContext, identity: Identity, dnText: string, requestedTtl: number): number {
  const name = ctx.names.parse(dnText);
  return ctx.entries.transaction(() => {
    const entry = requireLiveHead(ctx, name, dnText);
    if (entry.expiresAt === null) throw new OperationError(ResultCode.objectClassViolation, `${dnText} is not a dynamic entry (objectClass dynamicObject)`);
    checkOwner(ctx, identity, name, entry, 'refresh');
    const ttl = grantTtl(ctx.options.ttl, requestedTtl);
    extendTtl(ctx, entry, ttl);
    return ttl;
  });
}

/** Gives a live dynamic entry `ttl` seconds from now, inside the write transaction. */
export function extendTtl(ctx: DirectoryContext, entry: EntryHead, ttl: number): void {
  const updated = { ...entry, expiresAt: ctx.now() + ttl * 1000 };
  const csn = takeCsn(ctx);
  ctx.entries.setExpiry(updated.id, updated.expiresAt, csn);
  recordChange(ctx, { kind: 'modified', entry: updated, previous: entry }, csn);
}
