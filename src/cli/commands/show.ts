/**
 * `rendezvous show NAME`: one conference, its details readably and its SDP as stored.
 */
import type { Command } from 'commander';
import { formatProblem, formatSdp, SdpError } from '../../sdp/index.js';
import { connectionOptions, withDirectory, type ConnectionFlags } from '../connection.js';
import { conferenceJson } from '../conference-view.js';
import { CliError } from '../errors.js';
import { formatRows, toJson } from '../format.js';
import { describeSdp } from '../sdp-view.js';

interface ShowFlags extends ConnectionFlags {
  json?: boolean;
}

/** Adds the `show` command. */
export function registerShow(program: Command): void {
  connectionOptions(program.command('show'))
    .description('show one conference: its details and its SDP')
    .argument('<name>', 'conference name')
    .option('--json', 'print the details and the SDP as JSON')
    .addHelpText('after', '\nExamples:\n  $ rendezvous show weekly-sync\n  $ rendezvous show weekly-sync --json')
    .action(async (name: string, flags: ShowFlags) => {
      const conference = await withDirectory(flags, async (directory) => {
        try {
          return await directory.get('conference', name);
        } catch (error) {
          if (error instanceof SdpError) throw new CliError(`${name}: the stored blob is not valid SDP: ${error.problems.map(formatProblem).join('; ')}`);
          throw error;
        }
      });
      if (!conference) throw new CliError(`no conference named ${name}`);
      // As read (formatSdp never refuses), so that even a blob another client stored loosely shows.
      const sdp = formatSdp(conference.blob.description);
      if (flags.json) {
        console.log(toJson({ ...conferenceJson(conference), sdp }));
        return;
      }
      console.log(formatRows([['Name', conference.name], ['DN', conference.dn ?? ''], ['Protocol', conference.protocol]]));
      console.log(describeSdp(conference.blob.description));
      console.log('');
      process.stdout.write(sdp);
    });
}
