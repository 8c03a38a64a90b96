/**
 * Access control. Anonymous clients read. Bound accounts add under the ILS containers;
 * an entry is modified, refreshed or deleted only by whoever created it or by an admin.
 * With --ils-open, anonymous clients may add too, and own what they add by IP address.
 */
import type { StoredEntry } from '../store/index.js';
import type { DirectoryContext, Identity } from './context.js';
import { DirectoryError, ResultCode } from './errors.js';
import type { Name } from './model/names.js';

/** The owner recorded on entries an identity creates. */
export function ownerOf(identity: Identity): string {
  return identity.ndn !== '' ? identity.ndn : `anonymous@${identity.address}`;
}

/** Whether the normalised DN is at or below the container. */
const within = (ndn: string, container: string): boolean => ndn === container || ndn.endsWith(`,${container}`);

/** Refuses an add the identity may not make. */
export function checkAdd(ctx: DirectoryContext, identity: Identity, name: Name): void {
  if (identity.admin) return;
  if (identity.ndn === '' && !ctx.options.ilsOpen) {
    throw new DirectoryError(ResultCode.insufficientAccessRights, 'anonymous clients cannot add entries; bind with an account first');
  }
  if (!within(name.parent, ctx.dynamicNdn) && !within(name.parent, ctx.applicationsNdn)) {
    throw new DirectoryError(ResultCode.insufficientAccessRights, 'entries can be added only under ou=dynamic and ou=applications (or by an admin)');
  }
}

/** Whether the identity may change (modify, delete, refresh) the entry. */
export function mayChange(identity: Identity, entry: Pick<StoredEntry, 'creator'>): boolean {
  return identity.admin || entry.creator === ownerOf(identity);
}

/** Refuses a change (modify, delete, refresh) of an entry the identity does not own. */
export function checkOwner(identity: Identity, entry: Pick<StoredEntry, 'creator'>, action: string): void {
  if (mayChange(identity, entry)) return;
  throw new DirectoryError(
    ResultCode.insufficientAccessRights,
    identity.ndn === '' ? `anonymous clients cannot ${action} this entry; bind as its owner` : `only the entry's creator or an admin may ${action} it`,
  );
}
