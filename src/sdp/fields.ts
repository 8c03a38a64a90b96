/**
 * Grammar of each SDP line's value (RFC 8866 §9, with RFC 4566 and 2327 where they differ).
 * Each reader takes the text after `x=` and returns the typed value, or undefined when the
 * value cannot be read at all; every problem goes to the reporter.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type {
  Attribute,
  Bandwidth,
  Connection,
  Contact,
  ContactForm,
  EncryptionKey,
  MediaDescription,
  Origin,
  Repeat,
  TimeUnit,
  TypedTime,
  ZoneAdjustment,
} from './model.js';
import type { SdpProblemCode } from './problems.js';

/** Where field readers send what they find wrong. */
export interface FieldReporter {
  /** Breaks a rule in every mode. */
  error(code: SdpProblemCode, message: string, field?: string): void;
  /** Worth knowing, never invalidating. */
  warn(code: SdpProblemCode, message: string, field?: string): void;
  /** Breaks a rule that real senders break too: an error when strict, a warning when lenient. */
  fault(code: SdpProblemCode, message: string, field?: string): void;
}

/** RFC 8866 token-char: visible ASCII except separators. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const DIGITS = /^[0-9]+$/;
/** time = POS-DIGIT 9*DIGIT, or the literal 0 for start/stop. */
const TIME = /^(?:0|[1-9][0-9]{9,})$/;
const TYPED_TIME = /^(-?)([0-9]+)([dhms]?)$/;
const HOST_NAME = /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

const UNIT_SECONDS: Readonly<Record<TimeUnit, number>> = { d: 86400, h: 3600, m: 60, s: 1 };

/** Is this text a token (RFC 8866 `token`)? */
export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

/** Splits on single spaces; reports runs of spaces or leading/trailing spaces. */
function fieldsOf(value: string, r: FieldReporter, what: string): string[] {
  const parts = value.split(' ');
  if (parts.some((p) => p === '')) {
    r.error('invalid-value', `${what} has extra spaces; fields are separated by exactly one space`);
  }
  return parts.filter((p) => p !== '');
}

function isSafeInteger(text: string): boolean {
  return DIGITS.test(text) && Number.isSafeInteger(Number(text));
}

/** Is this an IPv4 multicast address (224.0.0.0/4)? */
export function isIPv4Multicast(address: string): boolean {
  if (!isIPv4(address)) return false;
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Is this an IPv6 multicast address (ff00::/8)? */
export function isIPv6Multicast(address: string): boolean {
  return isIPv6(address) && /^ff/i.test(address);
}

/** Is this an IPv4 or IPv6 multicast address? */
export function isMulticast(address: string): boolean {
  return isIPv4Multicast(address) || isIPv6Multicast(address);
}

/** Reads `v=`: only `0` exists. */
export function readVersion(value: string, r: FieldReporter): number | undefined {
  if (value !== '0') {
    r.error('invalid-value', `protocol version must be 0, found '${value}'`);
    return undefined;
  }
  return 0;
}

/** Reads a unicast address (or host name) of the given address type. */
function checkUnicastAddress(addrType: string, address: string, r: FieldReporter, what: string): void {
  if (addrType === 'IP4') {
    if (/^[0-9.]+$/.test(address) ? !isIPv4(address) : !HOST_NAME.test(address)) {
      r.error('invalid-value', `${what} '${address}' is neither an IPv4 address nor a host name`);
    }
  } else if (addrType === 'IP6') {
    if (!isIPv6(address) && !HOST_NAME.test(address)) {
      r.error('invalid-value', `${what} '${address}' is neither an IPv6 address nor a host name`);
    }
  }
}

function checkNetwork(netType: string, addrType: string, r: FieldReporter): boolean {
  if (netType !== 'IN') {
    r.error('invalid-value', `network type must be IN (Internet), found '${netType}'`);
    return false;
  }
  if (addrType !== 'IP4' && addrType !== 'IP6') {
    r.error('invalid-value', `address type must be IP4 or IP6, found '${addrType}'`);
    return false;
  }
  return true;
}

/** Reads `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`. */
export function readOrigin(value: string, r: FieldReporter): Origin | undefined {
  const parts = fieldsOf(value, r, 'origin');
  if (parts.length !== 6) {
    r.error(
      'invalid-value',
      `origin needs 6 fields (username, session id, session version, network type, address type, address), found ${parts.length}`,
    );
    return undefined;
  }
  const [username, sessionId, sessionVersion, netType, addrType, address] = parts as [
    string, string, string, string, string, string,
  ];
  if (!DIGITS.test(sessionId)) r.error('invalid-value', `session id must be a decimal number, found '${sessionId}'`);
  if (!DIGITS.test(sessionVersion)) {
    r.error('invalid-value', `session version must be a decimal number, found '${sessionVersion}'`);
  }
  if (/[\x00-\x20\x7f]/.test(username)) r.error('invalid-value', 'username must not contain control characters');
  if (checkNetwork(netType, addrType, r)) checkUnicastAddress(addrType, address, r, 'origin address');
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

/** Reads a free-text field (`s=`, `i=`): any bytes but NUL, CR and LF, which the line reader already refused. */
export function readText(value: string, r: FieldReporter, what: string): string | undefined {
  if (value === '') {
    r.error('invalid-value', `${what} must not be empty (write '-' or a single space for "none")`);
    return undefined;
  }
  return value;
}

/** Reads `u=`: a URI reference, which never holds spaces. */
export function readUri(value: string, r: FieldReporter): string | undefined {
  if (value === '' || /\s/.test(value)) {
    r.error('invalid-value', `URI must be non-empty and contain no spaces, found '${value}'`);
    return undefined;
  }
  return value;
}

const EMAIL = /^[^\s@<>()]+@[^\s@<>()]+$/;
const PHONE = /^\+?[0-9][0-9 -]*[0-9]$/;

/**
 * Reads `e=` and `p=`: `value (Name)`, `Name <value>` or a bare value (RFC 8866 §5.6).
 */
export function readContact(value: string, kind: 'email' | 'phone', r: FieldReporter): Contact | undefined {
  let contact: Contact;
  const angle = /^([^<>]*[^\s<>])\s*<([^<>]+)>$/.exec(value);
  const comment = kind === 'email' ? /^(\S+)\s+\((.*)\)$/.exec(value) : /^(.*?)\s*\((.*)\)$/.exec(value);
  if (angle) contact = { value: angle[2]!, name: angle[1]!, form: 'angle' };
  else if (comment) contact = { value: comment[1]!, name: comment[2]!, form: 'comment' };
  else contact = { value, form: 'bare' };
  const ok = kind === 'email' ? EMAIL.test(contact.value) : PHONE.test(contact.value);
  if (!ok) {
    r.error(
      'invalid-value',
      kind === 'email'
        ? `'${value}' is not an e-mail address (expected user@host, optionally 'user@host (Name)' or 'Name <user@host>')`
        : `'${value}' is not a phone number (expected digits, spaces and dashes with an optional leading '+', optionally with '(Name)')`,
    );
    return undefined;
  }
  return contact;
}

/** Which connection line is being read: the session's, or one of a medium's. */
export type ConnectionLevel = 'session' | 'media';

/**
 * Reads `c=<nettype> <addrtype> <connection-address>` with the multicast rules of
 * RFC 8866 §5.7: IPv4 multicast carries `/ttl[/count]`, IPv6 multicast `[/count]`,
 * unicast neither.
 */
export function readConnection(value: string, level: ConnectionLevel, r: FieldReporter): Connection | undefined {
  const parts = fieldsOf(value, r, 'connection data');
  if (parts.length !== 3) {
    r.error('invalid-value', `connection data needs 3 fields (network type, address type, address), found ${parts.length}`);
    return undefined;
  }
  const [netType, addrType, spec] = parts as [string, string, string];
  if (!checkNetwork(netType, addrType, r)) return undefined;
  const [address = '', ...suffix] = spec.split('/');
  const connection: Connection = { netType, addrType, address };
  const multicast = addrType === 'IP4' ? isIPv4Multicast(address) : isIPv6Multicast(address);
  if (!multicast) {
    checkUnicastAddress(addrType, address, r, 'address');
    if (suffix.length > 0) r.error('multicast-ttl', `unicast address '${address}' must not carry '/${suffix.join('/')}'`);
    return connection;
  }
  if (suffix.some((s) => !isSafeInteger(s))) {
    r.error('invalid-value', `'${spec}': TTL and number of addresses must be decimal numbers`);
    return undefined;
  }
  const numbers = suffix.map(Number);
  let countValue: number | undefined;
  if (addrType === 'IP4') {
    if (numbers.length === 0) {
      r.fault('multicast-ttl', `IPv4 multicast address ${address} needs a TTL (0-255), e.g. ${address}/127`);
    } else if (numbers.length > 2) {
      r.error('invalid-value', `'${spec}' has too many '/' parts (expected address/ttl[/count])`);
    } else {
      const ttl = numbers[0]!;
      if (ttl > 255 || (suffix[0]!.length > 1 && suffix[0]!.startsWith('0'))) {
        r.error('multicast-ttl', `TTL must be 0-255 without leading zeros, found '${suffix[0]}'`);
      } else {
        connection.ttl = ttl;
      }
      countValue = numbers[1];
    }
  } else {
    if (numbers.length === 2) {
      r.fault('multicast-ttl', `IPv6 multicast address ${address} must not carry a TTL ('${spec}'); the TTL is ignored`);
      countValue = numbers[1];
    } else if (numbers.length > 2) {
      r.error('invalid-value', `'${spec}' has too many '/' parts (expected address[/count])`);
    } else {
      countValue = numbers[0];
    }
  }
  if (countValue !== undefined) {
    if (countValue < 1) {
      r.error('invalid-value', `number of addresses must be at least 1, found ${countValue}`);
    } else if (!multicastRangeFits(addrType, address, countValue)) {
      r.error('invalid-value', `${countValue} addresses from ${address} run past the end of the multicast range`);
    } else {
      connection.count = countValue;
      if (level === 'session' && countValue > 1) {
        r.fault('invalid-value', 'several addresses may be given only in a media section, not in the session-level c= line');
      }
    }
  }
  return connection;
}

function multicastRangeFits(addrType: string, address: string, count: number): boolean {
  if (addrType !== 'IP4') return count <= 0x10000;
  const last = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0) + count - 1;
  return last <= 0xefffffff;
}

/** Reads `b=<bwtype>:<bandwidth>`. */
export function readBandwidth(value: string, r: FieldReporter): Bandwidth | undefined {
  const m = /^([^:]*):(.*)$/.exec(value);
  if (!m || !isToken(m[1]!) || !isSafeInteger(m[2]!)) {
    r.error('invalid-value', `bandwidth must be '<modifier>:<kbit/s>' such as 'CT:128', found '${value}'`);
    return undefined;
  }
  if (m[1]!.startsWith('X-')) r.warn('obsolete', `experimental bandwidth modifier '${m[1]}' is not recommended (RFC 8866 §5.8)`);
  return { type: m[1]!, value: Number(m[2]) };
}

/** Reads one time value of `t=` or `z=`: 0, or NTP seconds of at least 10 digits. */
function readTime(text: string, r: FieldReporter, what: string): number | undefined {
  if (!TIME.test(text) || !Number.isSafeInteger(Number(text))) {
    r.error('invalid-value', `${what} must be 0 or NTP seconds of at least 10 digits, found '${text}'`);
    return undefined;
  }
  return Number(text);
}

/** Reads `t=<start> <stop>` and checks their relation. */
export function readTiming(value: string, r: FieldReporter): { start: number; stop: number } | undefined {
  const parts = fieldsOf(value, r, 'timing');
  if (parts.length !== 2) {
    r.error('invalid-value', `timing needs 2 fields (start and stop time), found ${parts.length}`);
    return undefined;
  }
  const start = readTime(parts[0]!, r, 'start time');
  const stop = readTime(parts[1]!, r, 'stop time');
  if (start === undefined || stop === undefined) return undefined;
  if (start === 0 && stop !== 0) {
    r.error('time-range', 'a start time of 0 (permanent session) requires a stop time of 0');
  } else if (stop !== 0 && stop < start) {
    r.error('time-range', `stop time ${stop} is before start time ${start}`);
  }
  return { start, stop };
}

/** Reads a typed time (`7d`, `1h`, `3600`), optionally signed. */
export function readTypedTime(text: string, r: FieldReporter, what: string, signed = false): TypedTime | undefined {
  const m = TYPED_TIME.exec(text);
  if (!m || (m[1] && !signed) || !Number.isSafeInteger(Number(m[2]))) {
    r.error(
      'invalid-value',
      `${what} must be ${signed ? 'an optionally signed' : 'a'} whole number of seconds or of d/h/m/s units, found '${text}'`,
    );
    return undefined;
  }
  const unit = m[3] as TimeUnit | '';
  const seconds = Number(m[2]) * (unit ? UNIT_SECONDS[unit] : 1) * (m[1] ? -1 : 1);
  return unit ? { seconds, unit } : { seconds };
}

/**
 * Reads `r=<interval> <duration> <offset>...`. Returns undefined for `r=0 0`, which some
 * encoders send and a lenient reader ignores.
 */
export function readRepeat(value: string, r: FieldReporter): Repeat | undefined {
  const parts = fieldsOf(value, r, 'repeat times');
  if (parts.length === 2 && parts[0] === '0' && parts[1] === '0') {
    r.fault('invalid-value', "'r=0 0' is not a repeat schedule (some encoders send it; a lenient reader ignores it)");
    return undefined;
  }
  if (parts.length < 3) {
    r.error('invalid-value', `repeat times need an interval, a duration and at least one offset, found ${parts.length} field(s)`);
    return undefined;
  }
  const [intervalText, durationText, ...offsetTexts] = parts as [string, string, ...string[]];
  const interval = readTypedTime(intervalText, r, 'repeat interval');
  const duration = readTypedTime(durationText, r, 'active duration');
  const offsets = offsetTexts.map((t) => readTypedTime(t, r, 'offset'));
  if (interval === undefined || duration === undefined || offsets.some((o) => o === undefined)) return undefined;
  if (interval.seconds === 0) {
    r.error('invalid-value', 'repeat interval must not be zero');
    return undefined;
  }
  return { interval, duration, offsets: offsets as TypedTime[] };
}

/** Reads `z=<adjustment time> <offset> ...`. */
export function readZones(value: string, r: FieldReporter): ZoneAdjustment[] | undefined {
  const parts = fieldsOf(value, r, 'time zone adjustments');
  if (parts.length === 0 || parts.length % 2 !== 0) {
    r.error('invalid-value', 'time zone adjustments come in pairs of <adjustment time> <offset>');
    return undefined;
  }
  const zones: ZoneAdjustment[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const time = readTime(parts[i]!, r, 'adjustment time');
    const offset = readTypedTime(parts[i + 1]!, r, 'adjustment offset', true);
    if (time === undefined || offset === undefined) return undefined;
    zones.push({ time, offset });
  }
  return zones;
}

/** Reads `k=<method>[:<key>]`. */
export function readKey(value: string, r: FieldReporter): EncryptionKey | undefined {
  const colon = value.indexOf(':');
  const method = colon === -1 ? value : value.slice(0, colon);
  if (!isToken(method)) {
    r.error('invalid-value', `encryption key must be '<method>[:<key>]' (prompt, clear:, base64:, uri:), found '${value}'`);
    return undefined;
  }
  if (method !== 'prompt' && colon === -1) {
    r.error('invalid-value', `encryption method '${method}' needs key data after a colon`);
    return undefined;
  }
  r.warn('obsolete', 'k= is obsolete (RFC 8866 §5.12); it is kept and marks the conference as encrypted');
  return colon === -1 ? { method } : { method, data: value.slice(colon + 1) };
}

/** Reads `a=<name>[:<value>]`. */
export function readAttribute(value: string, r: FieldReporter): Attribute | undefined {
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (!isToken(name)) {
    r.error('invalid-value', `attribute name '${name}' is not a token (letters, digits and -.!%*_+\`'~ only)`);
    return undefined;
  }
  if (colon === -1) return { name };
  const attrValue = value.slice(colon + 1);
  if (attrValue === '') r.fault('invalid-value', `attribute '${name}' has a colon but no value`);
  return { name, value: attrValue };
}

/** Reads `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`. */
export function readMedia(value: string, r: FieldReporter): MediaDescription | undefined {
  const parts = fieldsOf(value, r, 'media description');
  if (parts.length < 4) {
    r.error('invalid-value', `media description needs a media type, a port, a protocol and at least one format, found ${parts.length} field(s)`);
    return undefined;
  }
  const [type, portSpec, protocol, ...formats] = parts as [string, string, string, ...string[]];
  let ok = true;
  if (!isToken(type)) {
    r.error('invalid-value', `media type '${type}' is not a token`);
    ok = false;
  }
  const [portText = '', countText, ...extra] = portSpec.split('/');
  const port = Number(portText);
  if (!isSafeInteger(portText) || port > 65535) {
    r.error('invalid-value', `port must be 0-65535, found '${portText}'`);
    ok = false;
  }
  let portCount: number | undefined;
  if (extra.length > 0 || (countText !== undefined && (!isSafeInteger(countText) || Number(countText) < 1))) {
    r.error('invalid-value', `'${portSpec}': number of ports must be a positive number`);
    ok = false;
  } else if (countText !== undefined) {
    portCount = Number(countText);
    if (port + portCount - 1 > 65535) {
      r.error('invalid-value', `${portCount} ports from ${port} run past port 65535`);
      ok = false;
    }
  }
  if (!protocol.split('/').every(isToken)) {
    r.error('invalid-value', `protocol '${protocol}' is not a token list such as RTP/AVP`);
    ok = false;
  }
  for (const format of formats) {
    if (!isToken(format)) {
      r.error('invalid-value', `format '${format}' is not a token`);
      ok = false;
    } else if (/^RTP\//.test(protocol) && (!DIGITS.test(format) || Number(format) > 127)) {
      r.error('invalid-value', `RTP payload type must be 0-127, found '${format}'`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const media: MediaDescription = {
    type,
    port,
    protocol,
    formats,
    connections: [],
    bandwidths: [],
    attributes: [],
  };
  if (portCount !== undefined) media.portCount = portCount;
  return media;
}

/** The form a contact line will be written in. */
export function contactForm(contact: Contact): ContactForm {
  if (contact.name === undefined) return 'bare';
  return contact.form === 'angle' ? 'angle' : 'comment';
}
