/**
 * `rendezvous refresh NAME`: give a conference more time to live (RFC 2589), once.
 */
import type { Command } from 'commander';
import { Conference, DirectoryError, ResultCode } from '../../client/index.js';
import { connectionOptions, say, withDirectory, type ConnectionFlags } from '../connection.js';
import { CliError } from '../errors.js';
import { integerOption } from '../options.js';

interface RefreshFlags extends ConnectionFlags {
  ttl?: number;
}

/** Adds the `refresh` command. */
export function registerRefresh(program: Command): void {
  connectionOptions(program.command('refresh'))
    .description('refresh a conference: ask for TTL more seconds before it expires (the server may grant other)')
    .argument('<name>', 'conference name')
    .option('--ttl <seconds>', 'seconds to ask for (default 1800)', integerOption('--ttl', 1, 31_557_600))
    .addHelpText('after', '\nExample:\n  $ RENDEZVOUS_PASSWORD=secret rendezvous refresh weekly-sync --ttl 3600 --bind-dn cn=alice,ou=accounts,o=Intranet')
    .action(async (name: string, flags: RefreshFlags) => {
      await withDirectory(flags, async (directory) => {
        const conference = Conference.create({ name });
        const dn = directory.dnOf(conference);
        let ttl: number | undefined;
        try {
          ttl = await directory.refresh(conference, flags.ttl);
        } catch (error) {
          if (error instanceof DirectoryError && error.code === ResultCode.noSuchObject) throw new CliError(`no conference named ${name} (${dn}); it may have expired`);
          throw error;
        }
        say(flags, ttl === undefined ? `${dn}: this directory does not expire entries; nothing to refresh` : `refreshed ${dn}: TTL ${ttl} s`);
      });
    });
}
