/**
 * `rendezvous list`: the conferences in the directory, as a table or JSON, filtered by name
 * and by time (from the blobs, so it works on any server); with --watch, then each change.
 */
import type { Command } from 'commander';
import type { Conference, Directory } from '../../client/index.js';
import { changeJson, changeLine } from '../change-view.js';
import { connectionOptions, note, withDirectory, type ConnectionFlags } from '../connection.js';
import { conferenceJson, groupsText, invalidNote, spanCells } from '../conference-view.js';
import { follow } from '../follow.js';
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
  watch?: boolean;
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
    .option('--json', 'print JSON (with --watch: one JSON object per line)')
    .option('--watch', 'then follow the list: print each change as it happens, until Ctrl-C')
    .addHelpText('after', "\nExamples:\n  $ rendezvous list\n  $ rendezvous list --upcoming --watch\n  $ rendezvous list --name 'weekly*' --upcoming --json\n  $ rendezvous list --url ldap://ils.example.org:1002 --from 2026-11-24 --to 2026-11-25")
    .action(async (flags: ListFlags) => {
      const keep = timeFilter(flags, Date.now());
      if (flags.watch) {
        await withDirectory(flags, (directory) => listAndFollow(directory, flags));
        return;
      }
      const conferences = await withDirectory(flags, async (directory) => {
        const found: Conference[] = [];
        for await (const conference of directory.enumerate('conference', flags.name, { onInvalid: invalidNote(flags) })) {
          if (keep(conference)) found.push(conference);
        }
        return found;
      });
      printList(flags, conferences);
    });
}

/** Prints the list, as a table or JSON. */
function printList(flags: ListFlags, conferences: Conference[]): void {
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
}

/**
 * `list --watch`: the list from the watch's initial content (so no change between listing and
 * following is missed), then each change as a line, until Ctrl-C. With --json, every event
 * is a JSON line, the initial conferences included. The time filters apply to the list and
 * to added and modified conferences, as of each change.
 */
async function listAndFollow(directory: Directory, flags: ListFlags): Promise<void> {
  const initial: Conference[] = [];
  let synced = false;
  await follow(directory, flags, { type: 'conference', name: flags.name, onInvalid: invalidNote(flags) }, (event, time) => {
    const changed = (event.kind === 'added' || event.kind === 'modified') && event.type === 'conference' ? event.object : undefined;
    if (changed && !timeFilter(flags, time.getTime())(changed)) return;
    if (flags.json) {
      console.log(changeJson(event, time));
      return;
    }
    if (!synced) {
      if (changed) initial.push(changed);
      if (event.kind === 'synced') {
        synced = true;
        printList(flags, initial);
      }
      return;
    }
    const line = changeLine(event, time);
    if (line !== undefined) console.log(line);
  });
}
