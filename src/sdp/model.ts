/**
 * The SDP object model: one typed value per line of a session description
 * (RFC 8866, read with RFC 2327 and 4566 for the blobs TAPI 3 clients write).
 *
 * The model keeps everything needed to write a blob back line for line: the order
 * of lines is fixed by the RFC, and the few places where the text has more than one
 * spelling (typed times with units, the two forms of `e=`/`p=`, where a `z=` line
 * stands) are recorded here too.
 *
 * @packageDocumentation
 */

/** Units allowed on typed times in `r=` and `z=` lines. */
export type TimeUnit = 'd' | 'h' | 'm' | 's';

/** A duration in seconds, with the unit it was (or is to be) written in. */
export interface TypedTime {
  /** Seconds; may be negative in `z=` offsets. */
  readonly seconds: number;
  /** The unit used in the text; absent means plain seconds without a unit letter. */
  readonly unit?: TimeUnit;
}

/** The `o=` line: who created the session and which revision this is. */
export interface Origin {
  /** Login of the originator on the originating host, `-` when not given. No spaces. */
  username: string;
  /** Numeric session id, kept as decimal text because real ids exceed 2^53. */
  sessionId: string;
  /** Numeric session version, decimal text; raised whenever the description changes. */
  sessionVersion: string;
  /** Network type, `IN` for the Internet. */
  netType: string;
  /** Address type, `IP4` or `IP6`. */
  addrType: string;
  /** Unicast address or fully qualified domain name of the originating machine. */
  address: string;
}

/** How an `e=` or `p=` line was written: `addr (Name)`, `Name <addr>` or a bare address. */
export type ContactForm = 'comment' | 'angle' | 'bare';

/** An e-mail address (`e=`) or phone number (`p=`) with its optional display name. */
export interface Contact {
  /** The address or number itself. */
  value: string;
  /** The display name, if any. */
  name?: string;
  /** How the line is written; defaults to `comment` (`value (name)`) when a name is set. */
  form?: ContactForm;
}

/** A `c=` line. For multicast it carries the TTL (IPv4) and the number of addresses. */
export interface Connection {
  /** Network type, `IN`. */
  netType: string;
  /** `IP4` or `IP6`. */
  addrType: string;
  /** Base address (or, for unicast, a host name). */
  address: string;
  /** IPv4 multicast TTL, 0–255. Must be absent for IPv6 and unicast. */
  ttl?: number;
  /** Number of consecutive multicast addresses starting at {@link Connection.address}; absent means one. */
  count?: number;
}

/** A `b=` line. */
export interface Bandwidth {
  /** Modifier, e.g. `CT` (conference total) or `AS` (application specific). */
  type: string;
  /** Kilobits per second (or as the modifier defines). */
  value: number;
}

/** A `k=` line. Obsolete in RFC 8866 but kept so that TAPI's isEncrypted survives. */
export interface EncryptionKey {
  /** `clear`, `base64`, `uri` or `prompt`. */
  method: string;
  /** The key data after the colon, if any. */
  data?: string;
}

/** An `a=` line: a property (`a=recvonly`) or a value attribute (`a=rtpmap:0 PCMU/8000`). */
export interface Attribute {
  name: string;
  value?: string;
}

/** An `r=` line: a repeat schedule inside a time description. */
export interface Repeat {
  /** Repeat interval; never zero in a valid description. */
  interval: TypedTime;
  /** Duration of each occurrence. */
  duration: TypedTime;
  /** Offsets of each occurrence from the start of the interval; at least one. */
  offsets: TypedTime[];
}

/** One adjustment of a `z=` line: from `time` (NTP seconds) on, shift repeats by `offset`. */
export interface ZoneAdjustment {
  time: number;
  offset: TypedTime;
}

/**
 * A time description: one `t=` line with its `r=` lines and, optionally, the `z=`
 * line written after them.
 */
export interface TimeDescription {
  /** Start in NTP seconds (seconds since 1900-01-01 UTC); 0 with stop 0 means permanent. */
  start: number;
  /** Stop in NTP seconds; 0 means unbounded. */
  stop: number;
  repeats: Repeat[];
  /**
   * Time-zone adjustments written right after this description. RFC 2327/4566 put a single
   * `z=` after the last time description, RFC 8866 after the `r=` lines it modifies; the
   * model records where it stood so that both round-trip.
   */
  zones?: ZoneAdjustment[];
}

/** An `m=` section with its own lines. */
export interface MediaDescription {
  /** Media type: audio, video, text, application, message, whiteboard, data, ... */
  type: string;
  /** Transport port, 0–65535. */
  port: number;
  /** Number of ports (`port/n`); absent means one. */
  portCount?: number;
  /** Transport protocol, e.g. `RTP/AVP` or `udp`. */
  protocol: string;
  /** Format codes; for RTP the payload types. The first is the default. */
  formats: string[];
  /** Media title (`i=`). */
  title?: string;
  connections: Connection[];
  bandwidths: Bandwidth[];
  key?: EncryptionKey;
  attributes: Attribute[];
}

/** A whole session description. */
export interface SessionDescription {
  /** Protocol version; always 0. */
  version: number;
  origin: Origin;
  /** Session name (`s=`); never empty. */
  name: string;
  /** Session information (`i=`), TAPI's Description. */
  information?: string;
  /** URI with more information (`u=`). */
  uri?: string;
  emails: Contact[];
  phones: Contact[];
  /** Session-level connection; otherwise each medium must have its own. */
  connection?: Connection;
  bandwidths: Bandwidth[];
  /** At least one time description, in order. */
  times: TimeDescription[];
  key?: EncryptionKey;
  /** Session-level attributes, in order (including `a=charset`). */
  attributes: Attribute[];
  media: MediaDescription[];
}
