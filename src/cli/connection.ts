/**
 * The options every directory command shares (--url, --bind-dn, --password-file, --quiet)
 * and the connected, bound Directory they lead to.
 */
import type { Command } from 'commander';
import { candidateUrls, Directory, type DirectoryOptions } from '../client/index.js';
import { UsageError } from './errors.js';
import { readPassword } from './options.js';

/** Where `rendezvous serve` listens by default. */
export const DEFAULT_URL = 'ldap://127.0.0.1:1389';

/** The shared options as commander hands them over. */
export interface ConnectionFlags {
  url: string;
  bindDn?: string;
  passwordFile?: string;
  quiet?: boolean;
}

function urlOption(value: string): string {
  try {
    candidateUrls(value, false);
  } catch (error) {
    throw new UsageError(`--url: ${(error as Error).message}`);
  }
  return value;
}

/** Adds the shared options to a command. */
export function connectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'directory: ldap://HOST:PORT, ldaps://..., or a host name (ILS ports 1002, then 389)', urlOption, DEFAULT_URL)
    .option('--bind-dn <dn>', 'bind as this DN (e.g. cn=alice,ou=accounts,o=Intranet); anonymous without it')
    .option('--password-file <file>', 'file holding the bind password (first line); otherwise RENDEZVOUS_PASSWORD')
    .option('-q, --quiet', 'print only the requested data, no progress or warnings');
}

/**
 * Connects, binds as --bind-dn when given, runs `fn`, and always closes. Library errors
 * (cannot connect, invalid credentials, the server's diagnostics) reach main as they are:
 * their messages are already one clear line.
 */
export async function withDirectory<T>(flags: ConnectionFlags, fn: (directory: Directory) => Promise<T>, options: DirectoryOptions = {}): Promise<T> {
  const password = await readPassword(flags.passwordFile);
  if (flags.bindDn !== undefined && !password) {
    throw new UsageError('--bind-dn needs a password: give --password-file FILE or set RENDEZVOUS_PASSWORD');
  }
  const directory = await Directory.connect(flags.url, options);
  try {
    if (flags.bindDn !== undefined) await directory.bind(flags.bindDn, password);
    return await fn(directory);
  } finally {
    await directory.close();
  }
}

/** Writes the outcome of a command (deleted..., refreshed...) to stdout unless --quiet. */
export function say(flags: ConnectionFlags, line: string): void {
  if (!flags.quiet) console.log(line);
}

/** Writes a progress or warning line to stderr unless --quiet. */
export function note(flags: ConnectionFlags, line: string): void {
  if (!flags.quiet) process.stderr.write(`${line}\n`);
}
