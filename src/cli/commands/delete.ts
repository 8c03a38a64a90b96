/**
 * `rendezvous delete NAME`: withdraw a conference now rather than letting it expire.
 */
import type { Command } from 'commander';
import { Conference, DirectoryError, ResultCode } from '../../client/index.js';
import { connectionOptions, say, withDirectory, type ConnectionFlags } from '../connection.js';
import { CliError } from '../errors.js';

/** Adds the `delete` command. */
export function registerDelete(program: Command): void {
  connectionOptions(program.command('delete'))
    .description('delete a conference (only its creator or an admin may)')
    .argument('<name>', 'conference name')
    .addHelpText('after', '\nExample:\n  $ RENDEZVOUS_PASSWORD=secret rendezvous delete weekly-sync --bind-dn cn=alice,ou=accounts,o=Intranet')
    .action(async (name: string, flags: ConnectionFlags) => {
      await withDirectory(flags, async (directory) => {
        // Named, not read: TAPI deletes by name too, and an unreadable blob must not prevent it.
        const conference = Conference.create({ name });
        const dn = directory.dnOf(conference);
        try {
          await directory.delete(conference);
        } catch (error) {
          if (error instanceof DirectoryError && error.code === ResultCode.noSuchObject) throw new CliError(`no conference named ${name} (${dn})`);
          throw error;
        }
        say(flags, `deleted ${dn}`);
      });
    });
}
