/**
 * The conference blob as an editable document, like TAPI's ITConferenceBlob and ITSdp:
 * parse a blob, change its model, write it back with the session version raised.
 */
import type { Connection, Contact, MediaDescription, SessionDescription } from './model.js';
import { parseSdp, type ParseMode } from './parse.js';
import { SdpError, type SdpProblem } from './problems.js';
import { SCOPE_TTL, type AdvertisingScope } from './scope.js';
import { summarize, type ConferenceSummary } from './summary.js';
import { dateToNtp } from './time.js';
import { formatSdp, writeSdp } from './write.js';

/** TAPI's default conference length: thirty minutes. */
export const DEFAULT_CONFERENCE_MS = 30 * 60 * 1000;

/** A medium for {@link ConferenceInit}. */
export interface MediaInit {
  /** `audio`, `video`, ... */
  type: string;
  port: number;
  /** Default `RTP/AVP`. */
  protocol?: string;
  /** Default: payload type 0 (PCMU) for audio, 31 (H261) for video, otherwise `0`. */
  formats?: string[];
  /** A multicast group for this medium alone (otherwise the session's). */
  connection?: Connection;
  attributes?: MediaDescription['attributes'];
}

/** What a new conference needs; everything but the name has a default. */
export interface ConferenceInit {
  name: string;
  description?: string;
  url?: string;
  /** `o=` user name; default `-`. */
  originator?: string;
  /** Host of the originator (`o=` address); default `localhost`. */
  machineAddress?: string;
  /** Default: now. */
  start?: Date;
  /** Default: start + 30 minutes. */
  stop?: Date;
  emails?: Contact[];
  phones?: Contact[];
  /** Session-level multicast group; IPv4 groups get the TTL of {@link ConferenceInit.scope}. */
  address?: string;
  /** Number of consecutive addresses from {@link ConferenceInit.address}. */
  addressCount?: number;
  /** Default `site` (TTL 15). */
  scope?: AdvertisingScope;
  media?: MediaInit[];
  /** The clock, for tests. */
  now?: Date;
}

const DEFAULT_FORMATS: Readonly<Record<string, string[]>> = { audio: ['0'], video: ['31'] };

/** A connection line for a multicast group, with the TTL of the scope for IPv4. */
export function multicastConnection(address: string, scope: AdvertisingScope, count?: number): Connection {
  const v6 = address.includes(':');
  const c: Connection = { netType: 'IN', addrType: v6 ? 'IP6' : 'IP4', address };
  if (!v6) c.ttl = SCOPE_TTL[scope];
  if (count !== undefined && count > 1) c.count = count;
  return c;
}

/** Builds the model of a new conference; {@link ConferenceBlob.create} checks and wraps it. */
export function conferenceDescription(init: ConferenceInit): SessionDescription {
  const now = init.now ?? new Date();
  const start = init.start ?? now;
  const stop = init.stop ?? new Date(start.getTime() + DEFAULT_CONFERENCE_MS);
  const id = String(dateToNtp(now));
  const machine = init.machineAddress ?? 'localhost';
  const d: SessionDescription = {
    version: 0,
    origin: {
      username: init.originator ?? '-',
      sessionId: id,
      sessionVersion: id,
      netType: 'IN',
      addrType: machine.includes(':') ? 'IP6' : 'IP4',
      address: machine,
    },
    name: init.name,
    emails: init.emails ?? [],
    phones: init.phones ?? [],
    bandwidths: [],
    times: [{ start: dateToNtp(start), stop: dateToNtp(stop), repeats: [] }],
    attributes: [],
    media: (init.media ?? []).map((m) => ({
      type: m.type,
      port: m.port,
      protocol: m.protocol ?? 'RTP/AVP',
      formats: m.formats ?? DEFAULT_FORMATS[m.type] ?? ['0'],
      connections: m.connection ? [m.connection] : [],
      bandwidths: [],
      attributes: m.attributes ?? [],
    })),
  };
  if (init.description !== undefined) d.information = init.description;
  if (init.url !== undefined) d.uri = init.url;
  if (init.address !== undefined) d.connection = multicastConnection(init.address, init.scope ?? 'site', init.addressCount);
  return d;
}

/**
 * An editable conference blob. {@link ConferenceBlob.description} is the live model: change
 * it freely, then {@link ConferenceBlob.write} the text, which is checked and carries a
 * raised session version whenever the content changed.
 *
 * @example
 * ```ts
 * const blob = ConferenceBlob.parse(text);
 * blob.description.information = 'Weekly sync, now with video';
 * const updated = blob.write(); // o= session version + 1
 * ```
 */
export class ConferenceBlob {
  /** The model; edit in place. */
  readonly description: SessionDescription;
  /** Warnings from parsing (lenient imports, obsolete lines). */
  readonly warnings: readonly SdpProblem[];
  /** The text as last read or written, in canonical form, to see whether anything changed. */
  #baseline: string;

  private constructor(description: SessionDescription, warnings: readonly SdpProblem[], baseline: string) {
    this.description = description;
    this.warnings = warnings;
    this.#baseline = baseline;
  }

  /**
   * Reads a blob. Strict by default; `lenient` accepts what real senders emit.
   *
   * @throws {@link SdpError} when the blob is invalid in that mode.
   */
  static parse(text: string, mode: ParseMode = 'strict'): ConferenceBlob {
    const result = parseSdp(text, { mode });
    if (!result.valid) throw new SdpError(result.errors);
    return new ConferenceBlob(result.description, result.warnings, formatSdp(result.description));
  }

  /**
   * A new conference with TAPI's defaults: starting now, thirty minutes long.
   *
   * @throws {@link SdpError} when the values cannot make a valid blob.
   */
  static create(init: ConferenceInit): ConferenceBlob {
    const description = conferenceDescription(init);
    const text = writeSdp(description);
    return new ConferenceBlob(description, [], text);
  }

  /** True when the model differs from the text last read or written. */
  get modified(): boolean {
    return formatSdp(this.description) !== this.#baseline;
  }

  /**
   * Writes the blob. When the model changed since it was read or last written, the session
   * version is raised first, as RFC 8866 §5.2 asks of anyone who modifies a description.
   *
   * @throws {@link SdpError} when the model is not a valid description; the version is then left as it was.
   */
  write(): string {
    if (!this.modified) return writeSdp(this.description);
    const origin = this.description.origin;
    const previous = origin.sessionVersion;
    origin.sessionVersion = /^[0-9]+$/.test(previous) ? String(BigInt(previous) + 1n) : previous;
    try {
      this.#baseline = writeSdp(this.description);
    } catch (error) {
      origin.sessionVersion = previous;
      throw error;
    }
    return this.#baseline;
  }

  /** The derived view: name, times, scope, groups. */
  get summary(): ConferenceSummary {
    return summarize(this.description);
  }
}
