/**
 * Password Modify (RFC 3062), as ldappasswd asks for it: a bound account changes its own
 * password, an admin anyone's. The costly part (checking the old password, hashing the new
 * one) is done where the request arrived ({@link preparePasswordChange}); the write, a new
 * hash in the accounts table, is made by the writing process ({@link applyPasswordChange}).
 * Accounts are not entries: no entry changes, so nothing is recorded in the change log.
 */
import { randomBytes } from 'node:crypto';
import type { DirectoryContext, Identity } from '../context.js';
import { OperationError, ResultCode } from '../errors.js';
import { accountDn, accountKey, accountName } from './bind.js';
import { hashPassword, verifyPassword } from './passwords.js';

/** What a password modify asks for (RFC 3062 §2): whose, the old password to check, the new one. */
export interface PasswordModify {
  readonly user?: string;
  readonly oldPassword?: string;
  readonly newPassword?: string;
}

/** A checked change, to write: the account (as it is named) and its new hash. Plain data, for IPC. */
export interface PasswordChange {
  readonly account: string;
  readonly hash: string;
}

/**
 * The account whose password the identity changes, by its stored name.
 *
 * @throws {@link OperationError} strongerAuthRequired for an anonymous client, noSuchObject
 *   for a name that is no account, insufficientAccessRights for another's account unless an admin asks.
 */
function targetAccount(ctx: DirectoryContext, identity: Identity, user: string | undefined): string {
  const own = identity.ndn === '' ? undefined : accountName(ctx, identity.dn);
  if (own === undefined) throw new OperationError(ResultCode.strongerAuthRequired, 'only a bound account can change a password: bind as the account first');
  const named = user === undefined || user === '' ? own : accountName(ctx, user);
  if (named === undefined) throw new OperationError(ResultCode.noSuchObject, `'${user}' is not an account (cn=NAME,ou=accounts,${ctx.options.suffix} or NAME)`);
  const account = ctx.accounts.get(named);
  if (!account) throw new OperationError(ResultCode.noSuchObject, `no account ${named}`);
  if (accountKey(account.name) !== accountKey(own) && !identity.admin) {
    throw new OperationError(ResultCode.insufficientAccessRights, "an account changes only its own password; an admin changes anyone's");
  }
  return account.name;
}

/**
 * Checks a password modify and hashes the new password; returns the change to write and the
 * password generated when the request gave none (16 characters from 12 random bytes).
 *
 * @throws {@link OperationError} as {@link targetAccount}, invalidCredentials for a wrong old
 *   password, unwillingToPerform for an empty new one.
 */
export async function preparePasswordChange(ctx: DirectoryContext, identity: Identity, request: PasswordModify): Promise<{ change: PasswordChange; generated?: string }> {
  const account = targetAccount(ctx, identity, request.user);
  if (request.oldPassword !== undefined) {
    const stored = ctx.accounts.get(account);
    if (!stored || !(await verifyPassword(request.oldPassword, stored.hash))) throw new OperationError(ResultCode.invalidCredentials, 'the old password is not the password of this account');
  }
  if (request.newPassword === '') throw new OperationError(ResultCode.unwillingToPerform, 'the new password must not be empty');
  const generated = request.newPassword === undefined ? randomBytes(12).toString('base64url') : undefined;
  const hash = await hashPassword(request.newPassword ?? generated!);
  return { change: { account, hash }, ...(generated === undefined ? {} : { generated }) };
}

/**
 * Writes a prepared change, in the write transaction: the account is looked up and the
 * identity's right to change it checked again (it may have gone since).
 */
export function applyPasswordChange(ctx: DirectoryContext, identity: Identity, change: PasswordChange): void {
  const account = targetAccount(ctx, identity, accountDn(ctx.options.suffix, change.account));
  if (!ctx.accounts.setHash(account, change.hash)) throw new OperationError(ResultCode.noSuchObject, `no account ${account}`);
}
