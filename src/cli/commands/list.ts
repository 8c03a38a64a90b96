/**
 * `rendezvous list`: the conferences in the directory, as a table or JSON, filtered by name
 * and by time (from the blobs, so it works on any server).
 */
import type { Command } from 'commander';
import type { Conference } from '../../client/index.js';
import { formatProblem, SdpError } from '../../sdp/index.js';
import { connectionOptions, note, withDirectory, type ConnectionFlags } from '../connection.js';
import { conferenceJson, groupsText, spanCells } from '../conference-view.js';
import { UsageError } from '../errors.js';
import { toJson } from '../format.js';
import { formatTable } from '../table.js';
import { timeOption } from '../time-options.js';

interface ListFlags extends ConnectionFlags {
  name: string;
  active?: boolean;
  upcoming?: boolean;
  from?: Date;
  to?: Date;
  json?: boolean;
}

/** The time window a conference occupies, in ms; open ends are infinite. */
function window(conference: Conference): { start: number; stop: number } {
  const s = conference.blob.summary;
  if (s.permanent) return { start: -Infinity, stop: Infinity };
  return { start: s.start?.getTime() ?? -Infinity, stop: s.stop?.getTime() ?? Infinity };
}

/** The filter the time flags describe. */
function timeFilter(flags: ListFlags, now: number): (conference: Conference) => boolean {
  if (flags.active && flags.upcoming) throw new UsageError('give --active or --upcoming, not both');
  const from = flags.from?.getTime() ?? -Infinity;
  const to = flags.to?.getTime() ?? Infinity;
  if (from > to) throw new UsageError('--from must not be after --to');
  return (conference) => {
    const w = window(conference);
    if (flags.active && !(w.start <= now && now < w.stop)) return false;
    if (flags.upcoming && !(w.start > now)) return false;
    // Overlaps [from, to].
    return w.start <= to && w.stop >= from;
  };
}

/** Adds the `list` command. */
export function registerList(program: Command): void {
  connectionOptions(program.command('list'))
    .description('list the conferences: name, start and end (local time), scope, originator, address')
    .option('--name <pattern>', 'names matching this pattern; * matches anything', '*')
    .option('--active', 'only conferences under way now')
    .option('--upcoming', 'only conferences that have not started')
    .option('--from <time>', 'only conferences still running at or after this time (ISO 8601 or now)', timeOption('--from'))
    .option('--to <time>', 'only conferences starting at or before this time (ISO 8601 or now)', timeOption('--to'))
    .option('--json', 'print JSON')
    .addHelpText('after', "\nExamples:\n  $ rendezvous list\n  $ rendezvous list --name 'weekly*' --upcoming --json\n  $ rendezvous list --url ldap://ils.example.org:1002 --from 2026-11-24 --to 2026-11-25")
    .action(async (flags: ListFlags) => {
      const keep = timeFilter(flags, Date.now());
      const conferences = await withDirectory(flags, async (directory) => {
        const found: Conference[] = [];
        const onInvalid = (dn: string, error: Error): void => {
          const reason = error instanceof SdpError ? `invalid SDP: ${error.problems.map(formatProblem).join('; ')}` : error.message;
          note(flags, `rendezvous: warning: skipped ${dn}: ${reason}`);
        };
        for await (const conference of directory.enumerate('conference', flags.name, { onInvalid })) {
          if (keep(conference)) found.push(conference);
        }
        return found;
      });
      conferences.sort((a, b) => window(a).start - window(b).start || a.name.localeCompare(b.name));
      if (flags.json) {
        console.log(toJson(conferences.map(conferenceJson)));
        return;
      }
      const rows = conferences.map((c) => [c.name, ...spanCells(c), c.advertisingScope ?? '-', c.originator, groupsText(c) || '-']);
      if (rows.length === 0) {
        note(flags, 'no conferences');
        return;
      }
      console.log(formatTable(['NAME', 'START', 'END', 'SCOPE', 'ORIGINATOR', 'ADDRESS'], rows));
    });
}
