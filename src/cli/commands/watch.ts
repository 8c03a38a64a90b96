/**
 * `rendezvous watch`: the conferences and users as they change, one line per change (or one
 * JSON object per line), until Ctrl-C.
 */
import type { Command } from 'commander';
import { changeJson, changeLine } from '../change-view.js';
import { connectionOptions, withDirectory, type ConnectionFlags } from '../connection.js';
import { invalidNote } from '../conference-view.js';
import { UsageError } from '../errors.js';
import { follow } from '../follow.js';

interface WatchFlags extends ConnectionFlags {
  name: string;
  type?: string;
  cookie?: string;
  json?: boolean;
}

function typeOption(value: string): 'conference' | 'user' {
  if (value !== 'conference' && value !== 'user') throw new UsageError(`--type must be conference or user, not '${value}'`);
  return value;
}

/** Adds the `watch` command. */
export function registerWatch(program: Command): void {
  connectionOptions(program.command('watch'))
    .description('print the conferences and users, then each change as it happens (time, kind, type, name, start and end), until Ctrl-C')
    .option('--name <pattern>', 'names matching this pattern; * matches anything', '*')
    .option('--type <type>', 'only conference or only user', typeOption)
    .option('--cookie <cookie>', 'resume from the cookie of an earlier watch (printed with --json)')
    .option('--json', 'print one JSON object per line, with the cookie to resume from')
    .addHelpText(
      'after',
      "\nThe directory must offer RFC 4533 content synchronisation (Rendezvous, OpenLDAP with syncprov).\n\nExamples:\n  $ rendezvous watch\n  $ rendezvous watch --name 'weekly*' --type conference --json",
    )
    .action(async (flags: WatchFlags) => {
      await withDirectory(flags, (directory) =>
        follow(directory, flags, { name: flags.name, ...(flags.type ? { type: flags.type as 'conference' | 'user' } : {}), ...(flags.cookie ? { cookie: flags.cookie } : {}), onInvalid: invalidNote(flags) }, (event, time) => {
          const line = flags.json ? changeJson(event, time) : changeLine(event, time);
          if (line !== undefined) console.log(line);
        }),
      );
    });
}
