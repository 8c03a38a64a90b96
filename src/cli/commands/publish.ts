/**
 * `rendezvous publish`: put a conference in the directory, built from flags or imported
 * from an SDP file, and print its DN and the blob stored.
 */
import type { Command } from 'commander';
import { Conference, type ConferenceOptions } from '../../client/index.js';
import { ADVERTISING_SCOPES, checkSdp, formatProblem, isMulticast, isToken, SdpError, type AdvertisingScope, type MediaInit } from '../../sdp/index.js';
import { connectionOptions, note } from '../connection.js';
import { CliError, UsageError } from '../errors.js';
import { readInput } from '../input.js';
import { addEntry, keepAliveOptions, type KeepAliveFlags } from '../keep-alive.js';
import { durationOption, timeOption } from '../time-options.js';
import { allocateForConference, McastError, MADCAP_PORT, type ConferenceAllocation } from '../../mcast/index.js';

interface PublishFlags extends KeepAliveFlags {
  name?: string;
  description?: string;
  start?: Date;
  end?: Date;
  duration?: number;
  scope?: AdvertisingScope;
  media?: MediaInit[];
  address?: string;
  infoUrl?: string;
  email?: string[];
  phone?: string[];
  originator?: string;
  encrypted?: boolean;
  sdp?: string;
  allocate?: string | true;
  madcap?: string;
}

const DEFAULT_DURATION_S = 30 * 60;

/** `audio:PORT[:FORMATS]`, formats comma-separated (`audio:5004:0,8`). */
function mediaOption(value: string, previous: MediaInit[] | undefined): MediaInit[] {
  const m = /^([^:\s]+):([0-9]{1,5})(?::([^:\s]+))?$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !isToken(m[1]!) || port > 65535) {
    throw new UsageError(`--media must be TYPE:PORT[:FORMATS], e.g. audio:5004 or video:5006:31, not '${value}'`);
  }
  const media: MediaInit = { type: m[1]!, port };
  if (m[3] !== undefined) {
    const formats = m[3].split(',');
    if (formats.some((f) => !isToken(f))) throw new UsageError(`--media ${value}: formats are payload types separated by commas, e.g. 0,8`);
    media.formats = formats;
  }
  return [...(previous ?? []), media];
}

function scopeOption(value: string): AdvertisingScope {
  if (!(ADVERTISING_SCOPES as readonly string[]).includes(value)) throw new UsageError(`--scope must be one of ${ADVERTISING_SCOPES.join(', ')}, not '${value}'`);
  return value as AdvertisingScope;
}

function addressOption(value: string): string {
  if (!isMulticast(value)) throw new UsageError(`--address must be an IPv4 or IPv6 multicast group (e.g. 239.1.2.3), not '${value}'`);
  return value;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The start and stop the flags ask for, checked. */
function timesOf(flags: PublishFlags): { start: Date; stop: Date } {
  if (flags.end !== undefined && flags.duration !== undefined) throw new UsageError('give --end or --duration, not both');
  const start = flags.start ?? new Date();
  const stop = flags.end ?? new Date(start.getTime() + (flags.duration ?? DEFAULT_DURATION_S) * 1000);
  if (stop.getTime() <= start.getTime()) throw new UsageError(`--end (${stop.toISOString()}) must be after --start (${start.toISOString()})`);
  return { start, stop };
}

/** A conference from the building flags. */
function fromFlags(flags: PublishFlags): Conference {
  if (flags.name === undefined) throw new UsageError('give --name NAME (or --sdp FILE)');
  // Without a group a medium has no c= line and the blob is invalid: say what to add, before
  // the SDP checker says it in its own terms.
  if (flags.address === undefined && (flags.media?.length ?? 0) > 0) {
    throw new UsageError('--media needs a multicast group: add --address GROUP (e.g. --address 239.1.2.3), or --allocate to lease one from a MADCAP server');
  }
  if (flags.scope !== undefined && flags.address === undefined) {
    throw new UsageError('--scope sets the TTL of the multicast group: add --address GROUP (e.g. --address 239.1.2.3), or use --allocate [SCOPE], which chooses both');
  }
  const options: ConferenceOptions = {
    name: flags.name,
    ...timesOf(flags),
    media: flags.media ?? [],
    emails: (flags.email ?? []).map((value) => ({ value })),
    phones: (flags.phone ?? []).map((value) => ({ value })),
    isEncrypted: flags.encrypted === true,
  };
  if (flags.description !== undefined) options.description = flags.description;
  if (flags.infoUrl !== undefined) options.url = flags.infoUrl;
  if (flags.originator !== undefined) options.originator = flags.originator;
  if (flags.address !== undefined) {
    options.address = flags.address;
    options.scope = flags.scope ?? 'site';
  }
  try {
    return Conference.create(options);
  } catch (error) {
    if (error instanceof SdpError) throw new CliError(`the flags do not make a valid conference blob: ${error.problems.map(formatProblem).join('; ')}`);
    throw error;
  }
}

/**
 * A conference from an SDP file, read leniently (as real senders write it); the flags that
 * map to properties override it.
 */
async function fromSdpFile(path: string, flags: PublishFlags): Promise<Conference> {
  const building = (['media', 'email', 'phone'] as const).filter((f) => flags[f] !== undefined).map((f) => `--${f}`);
  if (flags.address !== undefined) building.push('--address');
  if (flags.originator !== undefined) building.push('--originator');
  if (building.length > 0) throw new UsageError(`${building.join(', ')} cannot be combined with --sdp; edit the SDP instead`);
  const source = path === '-' ? '<stdin>' : path;
  let conference: Conference;
  try {
    conference = Conference.fromSdp(await readInput(path), { mode: 'lenient', ...(flags.name !== undefined ? { name: flags.name } : {}) });
  } catch (error) {
    if (error instanceof SdpError) throw new CliError(`${source}: invalid SDP: ${error.problems.map(formatProblem).join('; ')}`);
    throw error;
  }
  for (const warning of conference.blob.warnings) note(flags, `rendezvous: warning: ${source}: ${formatProblem(warning)}`);
  if (flags.description !== undefined) conference.description = flags.description;
  if (flags.infoUrl !== undefined) conference.url = flags.infoUrl;
  if (flags.encrypted) conference.isEncrypted = true;
  if (flags.start !== undefined || flags.end !== undefined || flags.duration !== undefined) {
    const { start, stop } = timesOf(flags);
    conference.setTimes(start, stop);
  }
  if (flags.scope !== undefined) {
    try {
      conference.advertisingScope = flags.scope;
    } catch (error) {
      throw new UsageError(`--scope: ${(error as Error).message}`);
    }
  }
  // What was accepted leniently must still be stored strictly: say what stands in the way.
  const problems = checkSdp(conference.blob.description);
  if (problems.length > 0) {
    const hint = problems.some((p) => p.code === 'multicast-ttl') && flags.scope === undefined ? ' (--scope sets the multicast TTL)' : '';
    throw new CliError(`${source}: cannot be stored as valid SDP: ${problems.map(formatProblem).join('; ')}${hint}`);
  }
  return conference;
}

/**
 * `--allocate [SCOPE]`: leases a multicast group for the conference's time span from the
 * MADCAP server (`--madcap`, by default the directory's host on port 2535).
 */
async function lease(flags: PublishFlags, times: { start: Date | undefined; stop: Date | undefined }): Promise<ConferenceAllocation> {
  if (flags.address !== undefined || flags.scope !== undefined) throw new UsageError('--allocate chooses the address and its TTL: leave out --address and --scope');
  if (!times.stop) throw new UsageError('--allocate needs a conference that ends (a lease covers its time span)');
  const server = flags.madcap ?? `${/^ldaps?:\/\//.test(flags.url) ? new URL(flags.url).hostname : flags.url}:${MADCAP_PORT}`;
  try {
    const scope = flags.allocate === true || flags.allocate === undefined ? {} : { scope: flags.allocate };
    const leased = await allocateForConference({ server, ...scope, start: times.start ?? new Date(), stop: times.stop });
    note(flags, `rendezvous: leased ${leased.address} (TTL ${leased.ttl}) until ${leased.lease.stop.toISOString()}, request id ${leased.lease.requestId}`);
    return leased;
  } catch (error) {
    if (error instanceof McastError) throw error.kind === 'usage' ? new UsageError(`--allocate: ${error.message}`) : new CliError(error.message);
    throw error;
  }
}

/**
 * Writes a leased group, with its scope's TTL, into every multicast `c=` line (the session's
 * when there is none), and the tag that marks the conference as the lease's booking.
 */
function writeGroup(conference: Conference, leased: ConferenceAllocation): void {
  const d = conference.blob.description;
  d.attributes.push({ ...leased.attribute });
  const multicast = [...(d.connection ? [d.connection] : []), ...d.media.flatMap((m) => m.connections)].filter((c) => isMulticast(c.address));
  if (multicast.length === 0) d.connection = { ...leased.connection };
  for (const c of multicast) Object.assign(c, leased.connection);
}

/** Adds the `publish` command. */
export function registerPublish(program: Command): void {
  keepAliveOptions(connectionOptions(program.command('publish')))
    .description('publish a conference: build its SDP blob from flags, or import one with --sdp; prints the DN and the blob stored')
    .option('--name <name>', 'conference name (the uid, and the SDP session name)')
    .option('--description <text>', 'what it is about (SDP i=)')
    .option('--start <time>', 'start: ISO 8601 (local time unless an offset is given) or now', timeOption('--start'))
    .option('--end <time>', 'end: ISO 8601 or now', timeOption('--end'))
    .option('--duration <duration>', 'length instead of --end: seconds or 30m, 2h, 1d (default 30m)', durationOption('--duration'))
    .option('--scope <scope>', `advertising scope, the multicast TTL: ${ADVERTISING_SCOPES.join('|')} (default site)`, scopeOption)
    .option('--media <spec>', 'a medium TYPE:PORT[:FORMATS], e.g. audio:5004:0,8 (repeatable)', mediaOption)
    .option('--address <group>', 'multicast group of the session, e.g. 239.1.2.3: needed with --media or --scope, unless --allocate leases one', addressOption)
    .option('--info-url <url>', 'page with more information (SDP u=; --url is the directory)')
    .option('--email <address>', 'contact e-mail (repeatable)', collect)
    .option('--phone <number>', 'contact phone number (repeatable)', collect)
    .option('--originator <user>', 'SDP o= user name (default: your login name)')
    .option('--encrypted', 'mark the conference encrypted (k=prompt: the key is given out of band)')
    .option('--sdp <file>', 'import this SDP file (- for standard input) instead of building one')
    .option('--allocate [scope]', 'lease the multicast group from a MADCAP server for the conference time (scope: Scope ID or description, e.g. local)')
    .option('--madcap <host[:port]>', `MADCAP server for --allocate (default: the directory host, port ${MADCAP_PORT})`)
    .addHelpText(
      'after',
      '\nExamples (the password comes from RENDEZVOUS_PASSWORD or --password-file):\n' +
        "  $ rendezvous publish --bind-dn cn=alice,ou=accounts,o=Intranet --name weekly-sync --description 'Weekly sync' \\\n" +
        '      --start 2026-11-24T14:00 --duration 1h --address 239.1.2.3 --scope site --media audio:5004:0,8 --media video:5006:31\n' +
        '  $ rendezvous publish --bind-dn cn=alice,ou=accounts,o=Intranet --sdp session.sdp --keep-alive',
    )
    .action(async (flags: PublishFlags) => {
      const building = flags.sdp === undefined;
      // Built from flags, the lease comes first: the blob needs its address to be valid.
      let leased = building && flags.allocate !== undefined ? await lease(flags, timesOf(flags)) : undefined;
      const conference = building ? fromFlags(leased ? { ...flags, address: leased.address } : flags) : await fromSdpFile(flags.sdp!, flags);
      if (flags.allocate !== undefined) {
        leased ??= await lease(flags, { start: conference.startTime, stop: conference.stopTime });
        writeGroup(conference, leased);
      }
      await addEntry(flags, conference, () => {
        console.log(conference.dn);
        if (!flags.quiet) process.stdout.write(conference.dialableAddresses('sdp')[0]!);
      });
    });
}
