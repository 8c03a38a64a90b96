/**
 * Adding an entry from the command line (`publish`, `user register`): the requested TTL, and
 * `--keep-alive`, which stays running, lets the library refresh the entry, and stops on
 * SIGINT or SIGTERM.
 *
 * On stop the entry is left to expire, as TAPI's Dialer left its objects (a restarted
 * keep-alive, or a crash, does not make a conference disappear early); `--delete-on-exit`
 * withdraws it at once instead.
 */
import type { Command } from 'commander';
import type { AutoRefreshEvent, Directory, DirectoryObject } from '../client/index.js';
import { note, withDirectory, type ConnectionFlags } from './connection.js';
import { UsageError } from './errors.js';
import { integerOption } from './options.js';
import { stopSignal } from './stop-signals.js';

/** Options of commands that add an entry. */
export interface KeepAliveFlags extends ConnectionFlags {
  ttl?: number;
  keepAlive?: boolean;
  deleteOnExit?: boolean;
}

/** Adds --ttl, --keep-alive and --delete-on-exit to a command. */
export function keepAliveOptions(command: Command): Command {
  return command
    .option('--ttl <seconds>', 'time to live to ask for (at least 300; default 1800)', integerOption('--ttl', 300, 31_557_600))
    .option('--keep-alive', 'stay running and refresh the entry until SIGINT/SIGTERM; it then expires')
    .option('--delete-on-exit', 'with --keep-alive: delete the entry when stopped');
}

/**
 * Adds `object`, calls `printAdded` (the command's output), and with --keep-alive keeps it
 * alive until a signal.
 */
export async function addEntry(flags: KeepAliveFlags, object: DirectoryObject, printAdded: () => void): Promise<void> {
  if (flags.deleteOnExit && !flags.keepAlive) throw new UsageError('--delete-on-exit goes with --keep-alive');
  await withDirectory(
    flags,
    async (directory) => {
      if (flags.ttl !== undefined) directory.defaultObjectTTL = flags.ttl;
      await directory.add(object);
      printAdded();
      if (flags.keepAlive) await keepAlive(directory, object, flags);
    },
    { onAutoRefresh: (event) => note(flags, describeRefresh(event)) },
  );
}

/** A progress line for one auto-refresh event. */
export function describeRefresh(event: AutoRefreshEvent): string {
  const dn = event.object.dn ?? event.object.name;
  switch (event.kind) {
    case 'refreshed':
      return `refreshed ${dn}: TTL ${event.ttl} s`;
    case 'recreated':
      return `re-created ${dn} (the directory had forgotten it): TTL ${event.ttl} s`;
    case 'failed':
      return `refresh of ${dn} failed, retrying: ${event.error.message}`;
  }
}

/** Keeps `object` alive until a signal, then deletes it if asked. */
async function keepAlive(directory: Directory, object: DirectoryObject, flags: KeepAliveFlags): Promise<void> {
  const dn = directory.dnOf(object);
  directory.enableAutoRefresh(true);
  // Listen before saying so: whoever reads the line may signal at once.
  const stopped = stopSignal().received;
  note(flags, `keeping ${dn} alive; interrupt (Ctrl-C) or SIGTERM to stop${flags.deleteOnExit ? ' and delete it' : ', after which it expires'}`);
  const signal = await stopped;
  directory.enableAutoRefresh(false);
  if (flags.deleteOnExit) {
    await directory.delete(object);
    note(flags, `${signal}: deleted ${dn}`);
  } else {
    note(flags, `${signal}: stopped refreshing ${dn}`);
  }
}
