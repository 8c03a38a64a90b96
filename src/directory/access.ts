/**
 * Access control. Anonymous clients read. Bound accounts add under the ILS containers, and
 * below the entries they own; the owner of an entry owns what is below it, so an entry is
 * modified, refreshed or deleted by whoever created it or anything above it (up to the
 * containers), or by an admin. With --ils-open, anonymous clients may add dynamic entries
 * too, and own what they add by IP address.
 */
import type { EntryHead, StoredEntry } from '../store/index.js';
import type { DirectoryContext, Identity } from './context.js';
import { OperationError, ResultCode } from './errors.js';
import { parentNdn, type Name } from './model/names.js';
import { parseDn } from './model/dn.js';
import { isLive } from './operations/live.js';
import { accountDn } from './operations/bind.js';

/** The owner recorded on entries an identity creates. */
export function ownerOf(identity: Identity): string {
  return identity.ndn !== '' ? identity.ndn : `anonymous@${identity.address}`;
}

/**
 * The DN to show for an owner recorded by {@link ownerOf} (creatorsName, modifiersName): an
 * account's DN as the account and the suffix are spelled (`cn=Alice,ou=accounts,o=Intranet`),
 * not the normal form the owner is compared in; '' for an anonymous client (the root DN, as
 * slapd gives); the normal form itself for an account deleted since, or the server ('').
 */
export function ownerDn(ctx: DirectoryContext, owner: string): string {
  if (owner.startsWith('anonymous@')) return '';
  if (parentNdn(owner) !== ctx.accountsNdn) return owner;
  let name: string | undefined;
  try {
    name = parseDn(owner)[0]?.[0]?.value;
  } catch {
    // A normal form need not be a valid DN text (its values are not escaped as RFC 4514 asks).
    return owner;
  }
  const account = name === undefined ? undefined : ctx.accounts.get(name);
  return account ? accountDn(ctx.options.suffix, account.name) : owner;
}

/** Whether the normalised DN is at or below the container. */
const within = (ndn: string, container: string): boolean => ndn === container || ndn.endsWith(`,${container}`);

/**
 * Whether whoever may add may add directly below the entry at this normalised DN: the ILS
 * containers ou=dynamic and ou=applications, and the application containers below the
 * latter. Below any other entry only its owner (or an admin) adds.
 */
export function isOpenContainer(ctx: DirectoryContext, ndn: string): boolean {
  return ndn === ctx.dynamicNdn || ndn === ctx.applicationsNdn || parentNdn(ndn) === ctx.applicationsNdn;
}

/**
 * Whether the entry at `name` takes what is below it when deleted: an entry clients added
 * under the ILS containers (its owner owns its subtree). The containers themselves, and the
 * static tree an admin builds elsewhere, are deleted only when empty, as in slapd.
 */
export function ownsSubtree(ctx: DirectoryContext, name: Name): boolean {
  return !isOpenContainer(ctx, name.ndn) && (within(name.parent, ctx.dynamicNdn) || within(name.parent, ctx.applicationsNdn));
}

/** Refuses an add the identity may not make at this position (no database needed: checked where the add arrives). */
export function checkAdd(ctx: DirectoryContext, identity: Identity, name: Name): void {
  if (identity.admin) return;
  if (identity.ndn === '' && !ctx.options.ilsOpen) {
    throw new OperationError(ResultCode.insufficientAccessRights, 'anonymous clients cannot add entries; bind with an account first');
  }
  if (!within(name.parent, ctx.dynamicNdn) && !within(name.parent, ctx.applicationsNdn)) {
    throw new OperationError(ResultCode.insufficientAccessRights, 'entries can be added only under ou=dynamic and ou=applications (or by an admin)');
  }
}

/**
 * Refuses an add of a static entry by an anonymous client: what anonymous clients add must
 * expire unless refreshed, or anyone could fill the directory for good.
 */
export function checkAnonymousAddIsDynamic(identity: Identity, dynamic: boolean): void {
  if (identity.ndn !== '' || identity.admin || dynamic) return;
  throw new OperationError(
    ResultCode.insufficientAccessRights,
    'anonymous clients may add only dynamic entries (objectClass dynamicObject), which expire unless refreshed; bind with an account to add a static entry',
  );
}

/**
 * Refuses an add below `parent` (live, read in the writing transaction) unless it is an open
 * container or the identity owns it: nobody can pin another's entry by adding below it.
 */
export function checkAddBelow(ctx: DirectoryContext, identity: Identity, parent: Name, entry: EntryHead): void {
  if (identity.admin || isOpenContainer(ctx, parent.ndn) || ownsAt(ctx, identity, parent, entry)) return;
  throw new OperationError(ResultCode.insufficientAccessRights, `only the owner of ${entry.dn} (or an admin) may add entries below it`);
}

/** Whether the identity may change (modify, delete, refresh) the entry by having created it. */
export function mayChange(identity: Identity, entry: Pick<StoredEntry, 'creator'>): boolean {
  return identity.admin || entry.creator === ownerOf(identity);
}

/**
 * Whether the identity owns the entry at `name`: created it, or created an entry above it
 * below the containers (read only when the entry is not its own: a few heads at most).
 */
function ownsAt(ctx: DirectoryContext, identity: Identity, name: Name, entry: Pick<StoredEntry, 'creator'>): boolean {
  if (mayChange(identity, entry)) return true;
  const owner = ownerOf(identity);
  for (let ndn = name.parent; ndn !== '' && !isOpenContainer(ctx, ndn); ndn = parentNdn(ndn)) {
    const above = ctx.entries.head(ndn);
    if (!above || !isLive(ctx, above)) return false;
    if (above.creator === owner) return true;
  }
  return false;
}

/** Refuses a change (modify, delete, refresh) of the entry at `name` the identity does not own. */
export function checkOwner(ctx: DirectoryContext, identity: Identity, name: Name, entry: Pick<StoredEntry, 'creator'>, action: string): void {
  if (ownsAt(ctx, identity, name, entry)) return;
  throw new OperationError(
    ResultCode.insufficientAccessRights,
    identity.ndn === '' ? `anonymous clients cannot ${action} this entry; bind as its owner` : `only the entry's creator, the owner of an entry above it, or an admin may ${action} it`,
  );
}
