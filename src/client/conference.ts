/**
 * A conference in the directory (TAPI's ITDirectoryObjectConference): an `rtConference`
 * entry holding an SDP conference blob. Every property is a projection of the blob, read
 * from it and written into it, so the blob is the one source of truth on any server; the
 * derived attributes some servers index (startTime, originator...) are never written.
 */
import { userInfo } from 'node:os';
import {
  ConferenceBlob,
  dateToNtp,
  isIPv4Multicast,
  isToken,
  ntpToDate,
  SCOPE_TTL,
  writeSdp,
  type AdvertisingScope,
  type ConferenceInit,
  type Connection,
  type ParseMode,
  type SessionDescription,
} from '../sdp/index.js';
import type { AttributeValue, EntryReader } from './entry.js';
import { InvalidTimeError } from './errors.js';
import {
  DirectoryObject,
  ENCODE,
  RDN,
  SECURITY_DESCRIPTOR,
  type DialableAddressType,
  type EncodedObject,
  type ObjectSchema,
} from './object.js';

/** The protocolID TAPI's Dialer writes for an SDP conference blob. */
export const IP_CONFERENCE = 'IP Conference';

/** How conferences are stored: `uid=<name>,<container>`, objectClass rtConference. */
export const CONFERENCE_SCHEMA: ObjectSchema = {
  objectClass: 'rtConference',
  rdnAttribute: 'uid',
  // What TAPI's Dialer asks for: the derived attributes are deliberately not read.
  attributes: ['uid', 'protocolID', 'conferenceBlob', SECURITY_DESCRIPTOR],
  binaryAttributes: [SECURITY_DESCRIPTOR],
};

/** What a new conference is made of: the blob's {@link ConferenceInit} and the TAPI extras. */
export interface ConferenceOptions extends ConferenceInit {
  /** Writes `k=prompt` (the key is given out of band), TAPI's IsEncrypted. */
  isEncrypted?: boolean;
  securityDescriptor?: Buffer;
}

/** NTP seconds of a time given by an application; {@link InvalidTimeError} when it has none. */
function ntpOf(date: Date, what: string): number {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new InvalidTimeError(`${what} is not a valid date`);
  try {
    return dateToNtp(date);
  } catch (error) {
    throw new InvalidTimeError(`${what}: ${(error as Error).message}`);
  }
}

/** The `o=` user name TAPI would write: the login name, when SDP can carry it. */
function localOriginator(): string {
  try {
    const name = userInfo().username;
    return isToken(name) ? name : '-';
  } catch {
    return '-';
  }
}

/** Every IPv4 multicast `c=` line, session level and media level. */
function ipv4Groups(d: SessionDescription): Connection[] {
  const all = [...(d.connection ? [d.connection] : []), ...d.media.flatMap((m) => m.connections)];
  return all.filter((c) => c.addrType === 'IP4' && isIPv4Multicast(c.address));
}

/**
 * A conference: a name (the entry's `uid`) and its conference blob.
 *
 * @example
 * ```ts
 * const conference = Conference.create({
 *   name: 'weekly-sync',
 *   description: 'Weekly sync',
 *   start: new Date('2026-11-24T14:00:00Z'),
 *   address: '239.1.2.3',
 *   scope: 'site',
 *   media: [{ type: 'audio', port: 5004 }],
 * });
 * conference.blob.description.media.push({ type: 'video', port: 5006, protocol: 'RTP/AVP', formats: ['31'], connections: [], bandwidths: [], attributes: [] });
 * await directory.add(conference);
 * ```
 */
export class Conference extends DirectoryObject {
  readonly type = 'conference' as const;
  /**
   * The conference blob: its {@link ConferenceBlob.description} is the live SDP model (media,
   * times, connections, attributes). Edit it and call `Directory.modify` to store it; the
   * session version is raised when it changed.
   */
  readonly blob: ConferenceBlob;
  #name: string;
  #protocol: string;

  private constructor(name: string, blob: ConferenceBlob, protocol: string) {
    super();
    this.#name = name;
    this.blob = blob;
    this.#protocol = protocol;
  }

  /**
   * A new conference with TAPI's defaults: starting now, thirty minutes long, the local
   * login name as originator.
   *
   * @throws {@link InvalidTimeError} when a time is invalid or the stop is not after the start.
   * @throws SdpError when the values cannot make a valid blob (e.g. a malformed address).
   */
  static create(options: ConferenceOptions): Conference {
    const start = options.start ?? options.now ?? new Date();
    ntpOf(start, 'the start time');
    if (options.stop !== undefined && ntpOf(options.stop, 'the stop time') <= ntpOf(start, 'the start time')) {
      throw new InvalidTimeError(`the stop time ${options.stop.toISOString()} is not after the start time ${start.toISOString()}`);
    }
    const { isEncrypted, securityDescriptor, ...init } = options;
    const blob = ConferenceBlob.create({ originator: localOriginator(), ...init, start });
    const conference = new Conference(options.name, blob, IP_CONFERENCE);
    if (isEncrypted) conference.isEncrypted = true;
    conference.securityDescriptor = securityDescriptor;
    return conference;
  }

  /**
   * A conference from SDP text, e.g. one announced elsewhere. `name` defaults to the
   * session name (`s=`). `lenient` accepts what real senders emit; what is stored is always
   * written back strictly.
   *
   * @throws SdpError listing every problem when the text is invalid in that mode.
   */
  static fromSdp(text: string, options: { name?: string; mode?: ParseMode } = {}): Conference {
    const blob = ConferenceBlob.parse(text, options.mode ?? 'strict');
    return new Conference(options.name ?? blob.description.name, blob, IP_CONFERENCE);
  }

  /**
   * A conference as a search returned it (library-internal). The blob is read leniently:
   * servers other than Rendezvous store whatever clients wrote.
   *
   * @throws SdpError when the blob is missing or unreadable.
   */
  static fromEntry(entry: EntryReader): Conference {
    const name = entry.text('uid') ?? '';
    const text = entry.text('conferenceBlob') ?? '';
    const conference = new Conference(name, ConferenceBlob.parse(text, 'lenient'), entry.text('protocolID', 'sProtID') ?? IP_CONFERENCE);
    conference.adopt(
      entry,
      new Map<string, AttributeValue[]>([
        ['uid', [name]],
        ['protocolID', entry.texts('protocolID', 'sProtID')],
        ['conferenceBlob', [text]],
      ]),
    );
    return conference;
  }

  /** The directory name (`uid`). Setting it, before the conference is added, renames the session (`s=`) too. */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    this.assertUnstored('the name');
    this.#name = value;
    this.blob.description.name = value;
  }

  /** The protocol of the blob, `IP Conference`. */
  get protocol(): string {
    return this.#protocol;
  }

  /** `i=`: what the conference is about. */
  get description(): string | undefined {
    return this.blob.description.information;
  }

  set description(value: string | undefined) {
    if (value === undefined) delete this.blob.description.information;
    else this.blob.description.information = value;
  }

  /** The `o=` user name: who created the conference (no spaces, as SDP requires). */
  get originator(): string {
    return this.blob.description.origin.username;
  }

  set originator(value: string) {
    this.blob.description.origin.username = value;
  }

  /** `u=`: a page with more about the conference. */
  get url(): string | undefined {
    return this.blob.description.uri;
  }

  set url(value: string | undefined) {
    if (value === undefined) delete this.blob.description.uri;
    else this.blob.description.uri = value;
  }

  /**
   * How far the conference is announced: the scope of the widest multicast TTL (or IPv6
   * scope); undefined when the blob has no multicast address.
   */
  get advertisingScope(): AdvertisingScope | undefined {
    return this.blob.summary.advertisingScope;
  }

  /**
   * Sets the TTL of every IPv4 multicast `c=` line to the scope's (1, 15, 63, 127).
   *
   * @throws TypeError when the blob has no IPv4 multicast address to carry it.
   */
  set advertisingScope(scope: AdvertisingScope) {
    const groups = ipv4Groups(this.blob.description);
    if (groups.length === 0) throw new TypeError('the advertising scope is the TTL of an IPv4 multicast address, and this conference has none');
    for (const c of groups) c.ttl = SCOPE_TTL[scope];
  }

  /** Whether the blob carries an encryption key (`k=`) at any level. */
  get isEncrypted(): boolean {
    return this.blob.summary.isEncrypted;
  }

  /** `true` adds `k=prompt` (the key is given out of band) unless a key is present; `false` removes every key. */
  set isEncrypted(value: boolean) {
    const d = this.blob.description;
    if (value) {
      if (!this.isEncrypted) d.key = { method: 'prompt' };
      return;
    }
    delete d.key;
    for (const m of d.media) delete m.key;
  }

  /**
   * Start of the first time description (`t=`); undefined for a permanent session.
   * Further times and repeats are in `blob.description.times`.
   */
  get startTime(): Date | undefined {
    const t = this.blob.description.times[0];
    return t ? ntpToDate(t.start) : undefined;
  }

  /** @throws {@link InvalidTimeError} when invalid or not before the stop time. */
  set startTime(value: Date) {
    this.setTimes(value, this.stopTime);
  }

  /** Stop of the first time description; undefined when unbounded or permanent. */
  get stopTime(): Date | undefined {
    const t = this.blob.description.times[0];
    return t ? ntpToDate(t.stop) : undefined;
  }

  /** @throws {@link InvalidTimeError} when invalid, not after the start time, or the session is permanent. */
  set stopTime(value: Date) {
    const start = this.startTime;
    if (start === undefined) throw new InvalidTimeError('the conference is permanent (t=0 0); set its start time first, or both with setTimes()');
    this.setTimes(start, value);
  }

  /**
   * Sets both times of the first time description at once (its repeats are kept), so a
   * conference can move past its old stop time in one step. `stop` undefined means unbounded.
   *
   * @throws {@link InvalidTimeError} when a time is invalid or the stop is not after the start.
   */
  setTimes(start: Date, stop: Date | undefined): void {
    const startNtp = ntpOf(start, 'the start time');
    const stopNtp = stop === undefined ? 0 : ntpOf(stop, 'the stop time');
    if (stop !== undefined && stopNtp <= startNtp) {
      throw new InvalidTimeError(`the stop time ${stop.toISOString()} is not after the start time ${start.toISOString()}`);
    }
    const times = this.blob.description.times;
    const first = times[0];
    if (first) {
      first.start = startNtp;
      first.stop = stopNtp;
    } else {
      times.push({ start: startNtp, stop: stopNtp, repeats: [] });
    }
  }

  /**
   * The addresses to dial the conference by: for `sdp`, the blob itself, which is what
   * TAPI's IP conferencing provider dials.
   *
   * @throws SdpError when the blob has been edited into something invalid.
   */
  dialableAddresses(type: DialableAddressType): string[] {
    return type === 'sdp' ? [writeSdp(this.blob.description)] : [];
  }

  [RDN](): string {
    return this.#name;
  }

  [ENCODE](): EncodedObject {
    return {
      schema: CONFERENCE_SCHEMA,
      rdn: this.#name,
      attributes: new Map<string, AttributeValue[]>([
        ['uid', [this.#name]],
        ['protocolID', [this.#protocol]],
        // write() checks the model and raises the session version when it changed.
        ['conferenceBlob', [this.blob.write()]],
        [SECURITY_DESCRIPTOR, this.securityAttribute()],
      ]),
    };
  }
}
