/**
 * `rendezvous account add|passwd|delete|list`: bind accounts, managed on the database file.
 */
import type { Command } from 'commander';
import { accountDn, accountKey, hashPassword, isAccountName } from '../../directory/index.js';
import { DEFAULT_SERVER_OPTIONS } from '../../server/index.js';
import { AccountStore, openDatabase, type AccountClash } from '../../store/index.js';
import { CliError, UsageError } from '../errors.js';
import { toJson } from '../format.js';
import { readPassword } from '../options.js';

interface AccountOptions {
  db: string;
  suffix: string;
  passwordFile?: string;
  admin?: boolean;
  json?: boolean;
}

/**
 * Opens the accounts table alone: managing accounts must not create or change the tree. The
 * accounts that clash (names that differ only in case or spaces, from before names were
 * compared so) are listed, to be deleted.
 */
async function withAccounts<T>(options: AccountOptions, fn: (open: { accounts: AccountStore; clashes: AccountClash[] }) => Promise<T> | T): Promise<T> {
  const db = openDatabase(options.db);
  try {
    const accounts = new AccountStore(db, accountKey);
    return await fn({ accounts, clashes: accounts.assignKeys() });
  } finally {
    db.close();
  }
}

async function newHash(options: AccountOptions): Promise<string> {
  const password = await readPassword(options.passwordFile);
  if (password === undefined || password === '') {
    throw new UsageError('give the password with --password-file FILE or the RENDEZVOUS_PASSWORD environment variable');
  }
  return hashPassword(password);
}

/** Adds the `account` command group. */
export function registerAccount(program: Command): void {
  const account = program.command('account').description('manage the accounts clients bind with (cn=NAME,ou=accounts,<suffix>)');
  const common = (c: Command): Command =>
    c.option('--db <path>', 'SQLite database file', DEFAULT_SERVER_OPTIONS.db).option('--suffix <dn>', 'naming context', DEFAULT_SERVER_OPTIONS.suffix);

  common(account.command('add'))
    .description('create an account; the password comes from --password-file or RENDEZVOUS_PASSWORD')
    .argument('<name>', 'account name')
    .option('--admin', 'may modify and delete any entry')
    .option('--password-file <file>', 'file holding the password (first line)')
    .addHelpText('after', '\nExample:\n  $ RENDEZVOUS_PASSWORD=secret rendezvous account add alice\n  $ rendezvous account add admin --admin --password-file /etc/rendezvous/admin.pw')
    .action(async (name: string, options: AccountOptions) => {
      if (!isAccountName(name)) throw new UsageError(`'${name}' is not a valid account name`);
      const hash = await newHash(options);
      await withAccounts(options, ({ accounts }) => {
        if (!accounts.add({ name, hash, admin: options.admin === true, createdAt: Date.now() })) {
          const existing = accounts.get(name)?.name ?? name;
          const as = existing === name ? '' : ` as ${JSON.stringify(existing)} (names that differ only in case or spaces are one account)`;
          throw new CliError(`account ${JSON.stringify(name)} already exists${as}`);
        }
        console.log(`added ${accountDn(options.suffix, name)}${options.admin ? ' (admin)' : ''}`);
      });
    });

  common(account.command('passwd'))
    .description('set the password of an account')
    .argument('<name>', 'account name')
    .option('--password-file <file>', 'file holding the new password (first line)')
    .addHelpText('after', '\nExample:\n  $ RENDEZVOUS_PASSWORD=new-secret rendezvous account passwd alice')
    .action(async (name: string, options: AccountOptions) => {
      const hash = await newHash(options);
      await withAccounts(options, ({ accounts }) => {
        if (!accounts.setHash(name, hash)) throw new CliError(`no account ${name}`);
        console.log(`password of ${name} changed`);
      });
    });

  common(account.command('delete'))
    .description('delete an account (its entries stay, owned by nobody until an admin removes them)')
    .argument('<name>', 'account name')
    .addHelpText('after', '\nExample:\n  $ rendezvous account delete alice')
    .action(async (name: string, options: AccountOptions) => {
      await withAccounts(options, ({ accounts }) => {
        if (!accounts.delete(name)) throw new CliError(`no account ${name}`);
        console.log(`deleted ${name}`);
      });
    });

  common(account.command('list'))
    .description('list the accounts (never their password hashes)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ rendezvous account list')
    .action(async (options: AccountOptions) => {
      await withAccounts(options, ({ accounts, clashes }) => {
        const clashing = new Map(clashes.map((c) => [c.name, c.clashesWith]));
        const list = accounts.list().map((a) => ({
          name: a.name,
          admin: a.admin,
          created: new Date(a.createdAt).toISOString(),
          ...(clashing.has(a.name) ? { clashesWith: clashing.get(a.name)! } : {}),
        }));
        if (options.json) console.log(toJson(list));
        else for (const a of list) console.log(`${a.name}${a.admin ? ' (admin)' : ''}${a.clashesWith === undefined ? '' : ` (clashes with ${JSON.stringify(a.clashesWith)}: cannot bind; delete one of them)`}`);
      });
    });
}
