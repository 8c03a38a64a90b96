/**
 * The benchmark's data: conferences with realistic SDP blobs and ILS people, deterministic
 * for a seed and a base time. The same logical entry goes to both servers; only the way it is
 * written differs: Rendezvous derives startTime, stopTime and the other indexed attributes
 * from the blob (and refuses them when sent), slapd has to be given them
 * ({@link Entry.derived}, computed by the server's own derivation so the two cannot disagree).
 */
import { deriveFromBlob } from '../src/directory/index.js';
import { ConferenceBlob, multicastConnection, typedTime, type AdvertisingScope, type MediaInit } from '../src/sdp/index.js';
import { Random } from './random.js';

export const SUFFIX = 'o=Intranet';
export const CONTAINER = `ou=dynamic,${SUFFIX}`;

/** What to generate. */
export interface DataSet {
  conferences: number;
  people: number;
  seed: number;
  /** The "now" the conference times are spread around, ms since the epoch. */
  baseTime: number;
}

/** Attribute name and values, in the order they are sent. */
export type Attributes = Array<[name: string, values: string[]]>;

/** One generated entry. */
export interface Entry {
  dn: string;
  /** What a client sends to Rendezvous. */
  attributes: Attributes;
  /** What slapd needs on top: the attributes Rendezvous derives from the blob. */
  derived: Attributes;
  dynamic: boolean;
}

/** Stream families of {@link Random.of}: one per kind of entry. */
const FAMILY = { conference: 1, person: 2, personDetails: 3 } as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * Where start times fall: 8 weeks per 10,000 conferences, so that a time window matches about
 * as many conferences at every size (the 1,000,000 run measures the index, not bigger
 * answers). At most 48 weeks lie in the past: Rendezvous keeps a conference at most
 * `--conference-grace` (one year at most) after it ended.
 */
export function timeRange(set: DataSet): { from: number; to: number } {
  const weeks = Math.max(8, (8 * set.conferences) / 10_000);
  const past = Math.min(weeks / 2, 48);
  return { from: set.baseTime - past * WEEK, to: set.baseTime + (weeks - past) * WEEK };
}

/** `conf-0001234`: seven digits, so ldclt's `XXXXXXX` template and prefix searches both fit. */
export function conferenceUid(index: number): string {
  return `conf-${String(index).padStart(7, '0')}`;
}

export function conferenceDn(uid: string): string {
  return `uid=${uid},${CONTAINER}`;
}

export function personDn(set: DataSet, index: number): string {
  return `cn=${personCn(set, index)},${CONTAINER}`;
}

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'nina', 'oscar', 'peggy', 'rupert', 'sybil', 'trent', 'ursula', 'victor', 'wendy'];
const LAST = ['martin', 'bernard', 'dubois', 'thomas', 'robert', 'richard', 'petit', 'durand', 'leroy', 'moreau', 'simon', 'laurent', 'lefebvre', 'michel', 'garcia', 'david'];
const TOPICS = ['design', 'release', 'budget', 'security', 'network', 'support', 'sales', 'research', 'hiring', 'roadmap', 'quality', 'platform'];
const KINDS = ['review', 'sync', 'stand-up', 'planning', 'retrospective', 'briefing', 'workshop', 'town hall', 'lecture', 'seminar'];
const SITES = ['Paris', 'Lyon', 'Berlin', 'Boston', 'Austin', 'Dublin', 'Tokyo'];
const DURATIONS_MIN = [30, 45, 60, 60, 60, 90, 120, 180];
const SCOPES: readonly AdvertisingScope[] = ['site', 'site', 'site', 'site', 'site', 'region', 'region', 'local', 'world', 'world'];

function personCn(set: DataSet, index: number): string {
  const r = Random.of(set.seed, FAMILY.person, index);
  return `${r.pick(FIRST)}.${r.pick(LAST)}.${index}@example.net`;
}

/** 239.x.y.z from a number: every conference gets its own groups, so none clash. */
function multicastAddress(n: number): string {
  return `239.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Schema names of the derived attributes (deriveFromBlob returns lower-case keys). */
const DERIVED_NAMES: Readonly<Record<string, string>> = {
  starttime: 'startTime',
  stoptime: 'stopTime',
  originator: 'originator',
  generaldescription: 'generalDescription',
  advertisingscope: 'advertisingScope',
  isencrypted: 'isEncrypted',
  url: 'url',
};

/**
 * Conference `index`. `uid` names it otherwise (the add workload adds fresh conferences
 * with the same kind of content).
 */
export function conference(set: DataSet, index: number, uid = conferenceUid(index)): Entry {
  const r = Random.of(set.seed, FAMILY.conference, index);
  const range = timeRange(set);
  const quarter = 15 * 60_000;
  const start = Math.floor((range.from + r.next() * (range.to - range.from)) / quarter) * quarter;
  const durationMs = r.pick(DURATIONS_MIN) * 60_000;
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  const title = `${r.pick(TOPICS)} ${r.pick(KINDS)}`;
  const scope = r.pick(SCOPES);
  // Two groups per conference: audio at session level, video on its own media-level c= line.
  const group = (index % 8_000_000) * 2;
  const media: MediaInit[] = [{ type: 'audio', port: 20_000 + 2 * r.int(0, 999), formats: r.pick([['0', '8'], ['0', '8', '4'], ['0']]) }];
  if (r.chance(0.6)) {
    media.push({
      type: 'video',
      port: 30_000 + 2 * r.int(0, 999),
      formats: ['96', '31'],
      connection: multicastConnection(multicastAddress(group + 1), scope),
      attributes: [{ name: 'rtpmap', value: '96 H264/90000' }, { name: 'recvonly' }],
    });
  }
  const blob = ConferenceBlob.create({
    name: title.charAt(0).toUpperCase() + title.slice(1),
    description: `${title} of the ${r.pick(SITES)} team, hosted by ${first} ${last}`,
    ...(r.chance(0.3) ? { url: `http://intranet.example.net/conferences/${uid}` } : {}),
    originator: `${first}.${last}`,
    machineAddress: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    start: new Date(start),
    stop: new Date(start + durationMs),
    ...(r.chance(0.5) ? { emails: [{ value: `${first}.${last}@example.net`, name: `${first} ${last}` }] } : {}),
    address: multicastAddress(group),
    scope,
    media,
    // The o= session id is the creation time: some hours to days before the start.
    now: new Date(start - r.int(1, 14 * 24) * HOUR),
  });
  schedule(blob, r, durationMs);
  const text = blob.write();
  const derived = deriveFromBlob(text);
  const dynamic = r.chance(0.25);
  return {
    dn: conferenceDn(uid),
    attributes: [
      ['objectClass', dynamic ? ['top', 'rtConference', 'dynamicObject'] : ['top', 'rtConference']],
      ['uid', [uid]],
      ['cn', [uid]],
      ['protocolID', ['IP Conference']],
      ['conferenceBlob', [text]],
    ],
    derived: Object.entries(derived).map(([key, values]) => [DERIVED_NAMES[key] ?? key, values]),
    dynamic,
  };
}

/**
 * Repeats and open-ended sessions, in the proportions that keep a one-hour time window to a
 * few dozen matches (a repeated session's stopTime is its last occurrence, so it matches
 * every window in between): 1% weekly for 2–6 weeks, 0.5% daily for a working week, 0.2%
 * permanent (`t=0 0`: no startTime or stopTime at all).
 */
function schedule(blob: ConferenceBlob, r: Random, durationMs: number): void {
  const time = blob.description.times[0]!;
  const roll = r.next();
  const repeat = (intervalMs: number, count: number): void => {
    time.stop = time.start + ((count - 1) * intervalMs + durationMs) / 1000;
    time.repeats = [{ interval: typedTime(intervalMs / 1000), duration: typedTime(durationMs / 1000), offsets: [typedTime(0)] }];
  };
  if (roll < 0.01) repeat(WEEK, r.int(2, 6));
  else if (roll < 0.015) repeat(DAY, 5);
  else if (roll < 0.017) Object.assign(time, { start: 0, stop: 0 });
}

/** Country codes of the sites, in {@link SITES}' order (NetMeeting's `c`). */
const COUNTRIES = ['FR', 'FR', 'DE', 'US', 'US', 'IE', 'JP'];

/**
 * Person `index`: an ILS registration as NetMeeting makes it, always dynamic: its add and the
 * application attributes of its registration modify ([MS-TAIL] §4.1.2, §4.1.3: `sappid`,
 * `sprotid`, `smimetype`, `sprotmimetype`, `sport`) in one add, with the `ilsA...` flags
 * NetMeeting's directory view shows (category 1 personal, 2 business, 4 adult; audio, video,
 * in a call). Rendezvous keeps an application entry for each under `ou=applications`, as it
 * does for NetMeeting; slapd stores the person only.
 */
export function person(set: DataSet, index: number): Entry {
  const cn = personCn(set, index);
  // Its own stream for the other values, so that the name alone stays cheap to compute.
  const r = Random.of(set.seed, FAMILY.personDetails, index);
  const [given = '', family = ''] = cn.split('@')[0]!.split('.');
  const ip = [10, r.int(0, 255), r.int(0, 255), r.int(1, 254)];
  const site = r.pick(SITES);
  return {
    dn: personDn(set, index),
    attributes: [
      ['objectClass', ['top', 'rtPerson', 'dynamicObject']],
      ['cn', [cn]],
      ['givenName', [given]],
      ['sn', [family]],
      ['mail', [`${given}.${family}@example.net`]],
      // ILS stores the address as the little-endian decimal of its four bytes.
      ['ipAddress', [String(((ip[3]! << 24) >>> 0) + (ip[2]! << 16) + (ip[1]! << 8) + ip[0]!)]],
      ['location', [site]],
      ['comment', ['Generated by TAPI3']],
      ['sFlags', ['1']],
      ['c', [COUNTRIES[SITES.indexOf(site)]!]],
      ['applicationID', ['ms-netmeeting']],
      ['mimeType', ['text/iuls']],
      ['protocolID', ['h323']],
      ['protocolMimeType', ['text/h323']],
      ['port', ['1720']],
      ['ILSA39321630', [r.pick(['1', '1', '2', '2', '2', '4'])]],
      ['ILSA32833566', ['1']],
      ['ILSA32964638', [r.chance(0.7) ? '1' : '0']],
      ['ILSA26214430', [r.chance(0.2) ? '1' : '0']],
    ],
    derived: [],
    dynamic: true,
  };
}

/** Every entry in load order: conferences, then people. */
export function* entries(set: DataSet): Generator<Entry> {
  for (let i = 0; i < set.conferences; i += 1) yield conference(set, i);
  for (let i = 0; i < set.people; i += 1) yield person(set, i);
}

/** The entry with load position `position` (the order of {@link entries}). */
export function entryAt(set: DataSet, position: number): Entry {
  return position < set.conferences ? conference(set, position) : person(set, position - set.conferences);
}
