/**
 * `rendezvous user register|list|delete`: people in the directory (ILS rtPerson entries),
 * whom others call at their IP addresses.
 */
import { isIPv4 } from 'node:net';
import type { Command } from 'commander';
import { User, type UserOptions } from '../../client/index.js';
import { connectionOptions, note, say, withDirectory, type ConnectionFlags } from '../connection.js';
import { CliError, UsageError } from '../errors.js';
import { toJson } from '../format.js';
import { userJson } from '../user-view.js';
import { addEntry, keepAliveOptions, type KeepAliveFlags } from '../keep-alive.js';
import { formatTable } from '../table.js';

interface RegisterFlags extends KeepAliveFlags {
  ip: string[];
  phoneHost?: string;
  email?: string;
  givenName?: string;
  surname?: string;
  location?: string;
  comment?: string;
}

interface ListFlags extends ConnectionFlags {
  name: string;
  json?: boolean;
}

function ipOption(value: string, previous: string[] | undefined): string[] {
  if (!isIPv4(value)) throw new UsageError(`--ip must be an IPv4 address (ILS stores IPv4 only), not '${value}'`);
  return [...(previous ?? []), value];
}

function userOf(name: string, flags: RegisterFlags): User {
  const options: UserOptions = { name, ipAddresses: flags.ip };
  for (const key of ['email', 'givenName', 'surname', 'location', 'comment'] as const) {
    if (flags[key] !== undefined) options[key] = flags[key];
  }
  if (flags.phoneHost !== undefined) options.ipPhonePrimary = flags.phoneHost;
  try {
    return new User(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Adds the `user` command group. */
export function registerUser(program: Command): void {
  const user = program
    .command('user')
    .description('register and list the people in the directory')
    .addHelpText('after', '\nExamples:\n  $ RENDEZVOUS_PASSWORD=secret rendezvous user register alice --ip 10.70.41.96 --bind-dn cn=alice,ou=accounts,o=Intranet\n  $ rendezvous user list');

  keepAliveOptions(connectionOptions(user.command('register')))
    .description('register a user with the IPv4 addresses to call them at; prints the DN')
    .argument('<name>', 'user name')
    .requiredOption('--ip <address>', 'IPv4 address (repeatable)', ipOption)
    .option('--phone-host <host>', "host name of the user's primary IP phone (TAPI names the entry cn=NAME]HOST)")
    .option('--email <address>', 'e-mail address (mail)')
    .option('--given-name <name>', 'given name')
    .option('--surname <name>', 'surname (sn)')
    .option('--location <text>', 'where the user is')
    .option('--comment <text>', 'free text')
    .addHelpText('after', '\nExample:\n  $ RENDEZVOUS_PASSWORD=secret rendezvous user register alice --ip 10.70.41.96 --email alice@example.org \\\n      --bind-dn cn=alice,ou=accounts,o=Intranet --keep-alive')
    .action(async (name: string, flags: RegisterFlags) => {
      const person = userOf(name, flags);
      await addEntry(flags, person, () => console.log(person.dn));
    });

  connectionOptions(user.command('list'))
    .description('list the users: name, IP phone, addresses, e-mail, location')
    .option('--name <pattern>', 'names matching this pattern; * matches anything', '*')
    .option('--json', 'print JSON')
    .addHelpText('after', "\nExamples:\n  $ rendezvous user list\n  $ rendezvous user list --name 'a*' --json")
    .action(async (flags: ListFlags) => {
      const users = await withDirectory(flags, async (directory) => {
        const found: User[] = [];
        for await (const person of directory.enumerate('user', flags.name)) found.push(person);
        return found;
      });
      users.sort((a, b) => a.name.localeCompare(b.name));
      if (flags.json) {
        console.log(toJson(users.map(userJson)));
        return;
      }
      if (users.length === 0) {
        note(flags, 'no users');
        return;
      }
      const rows = users.map((u) => [u.name, u.ipPhonePrimary ?? '-', u.ipAddresses.join(',') || '-', u.email ?? '-', u.location ?? '-']);
      console.log(formatTable(['NAME', 'IP PHONE', 'ADDRESSES', 'E-MAIL', 'LOCATION'], rows));
    });

  connectionOptions(user.command('delete'))
    .description('delete a user (only its creator or an admin may)')
    .argument('<name>', 'user name')
    .addHelpText('after', '\nExample:\n  $ RENDEZVOUS_PASSWORD=secret rendezvous user delete alice --bind-dn cn=alice,ou=accounts,o=Intranet')
    .action(async (name: string, flags: ConnectionFlags) => {
      await withDirectory(flags, async (directory) => {
        const person = await directory.get('user', name);
        if (!person) throw new CliError(`no user named ${name}`);
        const dn = directory.dnOf(person);
        await directory.delete(person);
        say(flags, `deleted ${dn}`);
      });
    });
}
