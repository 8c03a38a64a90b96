/**
 * Reading SDP text into the model, reporting every problem at once.
 */
import type { MediaDescription, SessionDescription, TimeDescription } from './model.js';
import type { SdpProblem, SdpProblemCode } from './problems.js';
import { SdpError } from './problems.js';
import {
  readAttribute,
  readBandwidth,
  readConnection,
  readContact,
  readKey,
  readMedia,
  readOrigin,
  readRepeat,
  readText,
  readTiming,
  readUri,
  readVersion,
  readZones,
  type FieldReporter,
} from './fields.js';
import { FIELD_NAMES, KNOWN_TYPES, MEDIA_ORDER, SESSION_ORDER, splitLines, type RawLine } from './lines.js';

/**
 * `strict`: what the directory accepts (RFC 8866 with RFC 2327/4566 placements; lines ending
 * with a bare LF are accepted with a warning in both modes, as RFC 8866 §5 asks).
 * `lenient`: what real senders emit is accepted with warnings: empty lines, IPv4 multicast
 * without TTL, IPv6 multicast with one, `r=0 0`.
 */
export type ParseMode = 'strict' | 'lenient';

/** Options for {@link parseSdp}. */
export interface ParseOptions {
  /** Default `strict`. */
  mode?: ParseMode;
}

/** The outcome of {@link parseSdp}. */
export interface SdpParseResult {
  /** True when there are no errors. */
  valid: boolean;
  /**
   * The model. Complete and trustworthy when {@link SdpParseResult.valid}; otherwise a best
   * effort holding whatever lines could be read, for display only.
   */
  description: SessionDescription;
  errors: SdpProblem[];
  warnings: SdpProblem[];
}

/** Lines that may appear at most once in their section. */
const SESSION_SINGLE = new Set(['v', 'o', 's', 'i', 'u', 'c', 'k']);
const MEDIA_SINGLE = new Set(['i', 'k']);

function emptyDescription(): SessionDescription {
  return {
    version: 0,
    origin: { username: '', sessionId: '', sessionVersion: '', netType: '', addrType: '', address: '' },
    name: '',
    emails: [],
    phones: [],
    bandwidths: [],
    times: [],
    attributes: [],
    media: [],
  };
}

function placeholderMedia(): MediaDescription {
  return { type: '', port: 0, protocol: '', formats: [], connections: [], bandwidths: [], attributes: [] };
}

/** Where a line stands in the fixed order of its section. */
function slotOf(letter: string, inMedia: boolean): number {
  const slotLetter = letter === 'r' || letter === 'z' ? 't' : letter;
  return inMedia
    ? (MEDIA_ORDER as readonly string[]).indexOf(slotLetter)
    : (SESSION_ORDER as readonly string[]).indexOf(slotLetter);
}

/**
 * Parses a session description and validates it, collecting every problem with its line,
 * field and an explanation.
 *
 * @example
 * ```ts
 * const { valid, description, errors } = parseSdp(blob);
 * if (!valid) console.error(errors.map(formatProblem).join('\n'));
 * ```
 */
export function parseSdp(text: string, options: ParseOptions = {}): SdpParseResult {
  const lenient = options.mode === 'lenient';
  const errors: SdpProblem[] = [];
  const warnings: SdpProblem[] = [];
  const description = emptyDescription();
  const seen = new Set<string>();

  let lineNo: number | undefined;
  let field = '';
  const add = (severity: 'error' | 'warning', code: SdpProblemCode, message: string, fieldName = field): void => {
    const problem: SdpProblem = { severity, code, field: fieldName, message };
    if (lineNo !== undefined) problem.line = lineNo;
    (severity === 'error' ? errors : warnings).push(problem);
  };
  const reporter: FieldReporter = {
    error: (code, message, f) => add('error', code, message, f),
    warn: (code, message, f) => add('warning', code, message, f),
    fault: (code, message, f) => add(lenient ? 'warning' : 'error', code, message, f),
  };

  const lines = splitLines(text);
  checkLineEndings(lines, reporter, (n) => (lineNo = n));

  let media: MediaDescription | undefined;
  let sectionSingles = new Set<string>();
  let lastSlot = -1;
  let lastSlotLine = 0;
  let lastSlotLetter = '';
  let previousTimeLetter: '' | 't' | 'r' | 'z' = '';
  let time: TimeDescription | undefined;
  let firstLine = true;

  for (const line of lines) {
    lineNo = line.number;
    field = '';
    if (line.text === '') {
      if (line.ending !== 'none') reporter.fault('empty-line', 'empty line; SDP has no blank lines');
      continue;
    }
    if (/[\0\r]/.test(line.text)) {
      // The line still counts as present, so that no "missing" problem follows from this one.
      const letter = /^([a-z])=/.exec(line.text)?.[1];
      if (letter) seen.add(letter);
      reporter.error(
        'forbidden-character',
        line.text.includes('\0') ? 'NUL character inside the line' : 'carriage return inside the line (lines end with CRLF)',
      );
      continue;
    }
    const m = /^([a-z])=(.*)$/s.exec(line.text);
    if (!m) {
      if (/^\s*[A-Za-z]\s*=/.test(line.text)) {
        reporter.error('malformed-line', `'${line.text}': a line is a lower-case type letter, '=', and the value, with no spaces around '='`);
      } else {
        reporter.error('malformed-line', `'${truncate(line.text)}' is not a '<type>=<value>' line`);
      }
      continue;
    }
    const letter = m[1]!;
    const value = m[2]!;
    field = `${letter}=`;
    if (!KNOWN_TYPES.has(letter)) {
      reporter.error('unknown-type', `'${letter}=' is not an SDP line type; a description containing it must be rejected (RFC 8866 §5)`);
      continue;
    }
    if (firstLine && letter !== 'v') reporter.error('order', 'a session description must start with the v= line', 'v=');
    firstLine = false;

    // Structure: which section, order, repetition.
    if (letter === 'm') {
      media = undefined;
      sectionSingles = new Set();
      lastSlot = 0;
      lastSlotLine = line.number;
      lastSlotLetter = 'm';
    } else {
      const slot = slotOf(letter, media !== undefined);
      if (slot === -1) {
        reporter.error('order', `${field} (${FIELD_NAMES[letter]}) belongs to the session section and must come before the first m= line`);
        continue;
      }
      if (slot < lastSlot) {
        reporter.error('order', `${field} (${FIELD_NAMES[letter]}) must come before the ${lastSlotLetter}= line on line ${lastSlotLine}`);
      } else if (slot > lastSlot) {
        lastSlot = slot;
        lastSlotLine = line.number;
        lastSlotLetter = letter;
      }
      const singles = media ? MEDIA_SINGLE : SESSION_SINGLE;
      if (singles.has(letter)) {
        if (sectionSingles.has(letter)) {
          reporter.error('duplicate', `only one ${field} line is allowed ${media ? 'in a media section' : 'at session level'}`);
        }
        sectionSingles.add(letter);
      }
    }
    seen.add(letter);

    const inMedia: MediaDescription | undefined = media;
    switch (letter) {
      case 'v': {
        const version = readVersion(value, reporter);
        if (version !== undefined) description.version = version;
        break;
      }
      case 'o': {
        const origin = readOrigin(value, reporter);
        if (origin) description.origin = origin;
        break;
      }
      case 's': {
        const name = readText(value, reporter, 'session name');
        if (name !== undefined) description.name = name;
        break;
      }
      case 'i': {
        const info = readText(value, reporter, inMedia ? 'media title' : 'session information');
        if (info !== undefined) {
          if (inMedia) inMedia.title = info;
          else description.information = info;
        }
        break;
      }
      case 'u': {
        const uri = readUri(value, reporter);
        if (uri !== undefined) description.uri = uri;
        break;
      }
      case 'e':
      case 'p': {
        const contact = readContact(value, letter === 'e' ? 'email' : 'phone', reporter);
        if (contact) (letter === 'e' ? description.emails : description.phones).push(contact);
        break;
      }
      case 'c': {
        const connection = readConnection(value, inMedia ? 'media' : 'session', reporter);
        if (connection) {
          if (inMedia) inMedia.connections.push(connection);
          else description.connection = connection;
        }
        break;
      }
      case 'b': {
        const bandwidth = readBandwidth(value, reporter);
        if (bandwidth) (inMedia ?? description).bandwidths.push(bandwidth);
        break;
      }
      case 't': {
        const timing = readTiming(value, reporter);
        if (previousTimeLetter === 'z' && description.times.at(-1)?.repeats.length === 0) {
          reporter.error(
            'order',
            'a z= line that follows a t= line without r= lines may only stand after the last time description (RFC 4566); RFC 8866 puts z= after the r= lines it adjusts',
            'z=',
          );
        }
        time = { start: timing?.start ?? 0, stop: timing?.stop ?? 0, repeats: [] };
        description.times.push(time);
        previousTimeLetter = 't';
        break;
      }
      case 'r': {
        if (previousTimeLetter !== 't' && previousTimeLetter !== 'r') {
          reporter.error('order', 'r= must follow the t= line (or another r= line) of its time description');
        }
        const repeat = readRepeat(value, reporter);
        if (repeat && time) time.repeats.push(repeat);
        previousTimeLetter = 'r';
        break;
      }
      case 'z': {
        if (previousTimeLetter === 'z') {
          reporter.error('duplicate', 'only one z= line is allowed per time description');
        } else if (previousTimeLetter !== 't' && previousTimeLetter !== 'r') {
          reporter.error('order', 'z= must follow the time description it adjusts');
        } else if (previousTimeLetter === 't') {
          reporter.warn('order', 'z= without r= lines is valid in RFC 2327/4566 but not in RFC 8866, where z= adjusts the r= lines before it');
        }
        const zones = readZones(value, reporter);
        if (zones && time) time.zones = zones;
        previousTimeLetter = 'z';
        break;
      }
      case 'k': {
        const key = readKey(value, reporter);
        if (key) (inMedia ?? description).key = key;
        break;
      }
      case 'a': {
        const attribute = readAttribute(value, reporter);
        if (!attribute) break;
        if (attribute.name === 'charset' && inMedia) {
          reporter.error('order', 'a=charset applies to the whole session and must stand before the first m= line');
        }
        (inMedia ?? description).attributes.push(attribute);
        break;
      }
      case 'm': {
        media = readMedia(value, reporter) ?? placeholderMedia();
        description.media.push(media);
        break;
      }
    }
  }

  lineNo = undefined;
  checkCompleteness(description, seen, reporter);
  return { valid: errors.length === 0, description, errors, warnings };
}

/**
 * Parses in strict mode and returns the model, or throws {@link SdpError} with every problem.
 */
export function parseSdpStrict(text: string): SessionDescription {
  const result = parseSdp(text, { mode: 'strict' });
  if (!result.valid) throw new SdpError(result.errors);
  return result.description;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * Line endings: SDP lines end with CRLF, but RFC 8866 §5 says parsers SHOULD be tolerant and
 * also accept lines ending with a single LF, so a bare LF (alone or mixed with CRLF) is a
 * warning in both modes, as is a last line without an ending.
 */
function checkLineEndings(lines: RawLine[], r: FieldReporter, at: (line: number | undefined) => void): void {
  const bare = lines.find((l) => l.ending === 'lf');
  if (bare) {
    const crlf = lines.some((l) => l.ending === 'crlf');
    at(bare.number);
    r.warn(
      'line-ending',
      crlf
        ? 'line endings are mixed: this line ends with a bare LF while others end with CRLF'
        : 'lines end with a bare LF; SDP lines end with CRLF (accepted: RFC 8866 §5 asks parsers to tolerate it)',
      'line ending',
    );
  }
  const last = lines.at(-1);
  if (last && last.ending === 'none') {
    at(last.number);
    r.warn('line-ending', 'the last line has no line ending (CRLF)', 'line ending');
  }
  at(undefined);
}

function checkCompleteness(d: SessionDescription, seen: Set<string>, r: FieldReporter): void {
  const required: Array<[string, string]> = [
    ['v', 'v= (protocol version) is missing'],
    ['o', 'o= (origin) is missing'],
    ['s', 's= (session name) is missing'],
    ['t', 'at least one t= (timing) line is required'],
  ];
  for (const [letter, message] of required) if (!seen.has(letter)) r.error('missing', message, `${letter}=`);
  if (!d.connection) {
    const bare = d.media.findIndex((m) => m.connections.length === 0);
    if (bare !== -1) {
      r.error(
        'missing',
        `media section ${bare + 1}${d.media[bare]!.type ? ` (m=${d.media[bare]!.type})` : ''} has no c= line and there is no session-level c= line`,
        'c=',
      );
    } else if (d.media.length === 0) {
      r.warn('missing', 'no connection data: the description names no address to join', 'c=');
    }
  }
}
