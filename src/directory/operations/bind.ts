/**
 * Simple bind (RFC 4513 §5.1) against the accounts table. Account bind DNs are
 * `cn=<name>,ou=accounts,<suffix>`; a bare account name is accepted too.
 */
import type { DirectoryContext, Identity } from '../context.js';
import { anonymous } from '../context.js';
import { escapeDnValue, parseDn } from '../model/dn.js';
import { OperationError, ResultCode } from '../errors.js';
import { normalize } from '../model/matching.js';
import { verifyPassword } from './passwords.js';

/** LDAP protocol version of the bind request. */
export type LdapVersion = 2 | 3;

/** The bind DN of an account. */
export function accountDn(suffix: string, name: string): string {
  return `cn=${escapeDnValue(name)},ou=accounts,${suffix}`;
}

/** cn's equality rule (RFC 4519), which compares account names in bind DNs. */
const ACCOUNT_NAME_RULES = { equality: 'caseIgnoreMatch' };

/**
 * The normal form of an account name, as the account's bind DN compares it (case and
 * leading, trailing and repeated spaces do not count): unique among accounts, so that two
 * accounts never share a DN, nor the entries it owns.
 */
export function accountKey(name: string): string {
  return normalize(ACCOUNT_NAME_RULES, name)!;
}

/** The account name a bind DN designates, or undefined. */
export function accountName(ctx: DirectoryContext, dnText: string): string | undefined {
  if (!dnText.includes('=')) return dnText.trim();
  const name = ctx.names.parse(dnText);
  if (name.parent !== ctx.accountsNdn || name.dn[0]!.length !== 1) return undefined;
  const ava = name.dn[0]![0]!;
  return ctx.schema.attribute(ava.type)?.key === 'cn' ? ava.value : undefined;
}

/**
 * The account a bind name designates, in normal form, for counting failed binds: every
 * spelling of one account counts together. A DN outside the accounts is normalised as a DN;
 * a name that is not a DN at all is folded as a bare name would be.
 */
export function bindAccountKey(ctx: DirectoryContext, dnText: string): string {
  try {
    const name = accountName(ctx, dnText);
    return name === undefined ? ctx.names.parse(dnText).ndn : accountKey(name);
  } catch {
    return accountKey(dnText);
  }
}

const INVALID = 'invalid credentials';

/** Authenticates; returns the identity for the connection. */
export async function bind(ctx: DirectoryContext, dnText: string, password: string, version: LdapVersion, address: string): Promise<Identity> {
  if (dnText === '' && password === '') return anonymous(address);
  if (password === '') {
    // NetMeeting binds LDAPv2 with its e-mail address and no password: that is anonymous.
    if (version === 2) return anonymous(address);
    throw new OperationError(ResultCode.unwillingToPerform, 'unauthenticated bind (a name without a password) is refused; give the password, or bind anonymously with neither');
  }
  if (dnText === '') throw new OperationError(ResultCode.invalidCredentials, INVALID);
  const name = accountName(ctx, dnText);
  const account = name === undefined ? undefined : ctx.accounts.get(name);
  // Hash even for unknown accounts, so response time does not reveal which names exist.
  const ok = await verifyPassword(password, account?.hash ?? DUMMY_HASH);
  if (!account || !ok) throw new OperationError(ResultCode.invalidCredentials, INVALID);
  const dn = accountDn(ctx.options.suffix, account.name);
  return { dn, ndn: ctx.names.parse(dn).ndn, admin: account.admin, address };
}

/** A valid hash of a random password, with the production parameters. */
const DUMMY_HASH = '$scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Checks that an account bind DN is well formed (for the CLI). */
export function isAccountName(name: string): boolean {
  return name.trim() !== '' && !/[\0\r\n]/.test(name) && parseDn(`cn=${escapeDnValue(name)}`).length === 1;
}
