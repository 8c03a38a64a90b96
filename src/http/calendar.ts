/**
 * The calendar feeds (RFC 5545) of conferences, written by ical-generator: one VEVENT per
 * `t=` block, a repeating block as one recurring VEVENT per series ({@link repeatSeries}: one
 * per offset of each `r=`, cut at `z=` adjustments), with the join link and the addresses.
 * Permanent sessions (`t=0 0`) are not events. Pure: the conferences and links are handed in.
 */
import ical, { ICalEventRepeatingFreq, type ICalEventData } from 'ical-generator';
import { oneLine } from '../log.js';
import { ntpToDate, repeatSeries, type RepeatSeries, type SessionDescription } from '../sdp/index.js';
import type { ConferenceItem } from './entries.js';
import { addressesOf } from './addresses.js';

/** Where a conference's page and SDP are, as absolute URLs. */
export interface ConferenceLinks {
  page: string;
  sdp: string;
}

/** RFC 5545 INTEGER: SEQUENCE cannot exceed it. */
const MAX_SEQUENCE = 2 ** 31 - 1;


/**
 * The largest unit that divides the interval, as RFC 5545 frequencies go: a week, a day, an
 * hour, a minute, else seconds. Months and years have no fixed length, so SDP intervals (in
 * seconds) never map to them.
 */
export function frequencyOf(seconds: number): { freq: ICalEventRepeatingFreq; interval: number } {
  const units: [number, ICalEventRepeatingFreq][] = [
    [604_800, ICalEventRepeatingFreq.WEEKLY],
    [86_400, ICalEventRepeatingFreq.DAILY],
    [3_600, ICalEventRepeatingFreq.HOURLY],
    [60, ICalEventRepeatingFreq.MINUTELY],
  ];
  for (const [unit, freq] of units) if (seconds % unit === 0) return { freq, interval: seconds / unit };
  return { freq: ICalEventRepeatingFreq.SECONDLY, interval: seconds };
}

/**
 * SEQUENCE from the session version: how many times the version went up since the session
 * id, which is how SDP writers number them (both start at the same NTP time and the version
 * grows by one a change, RFC 8866 §5.2), so it stays small, never decreases for one session
 * (whose id is fixed: it is part of the UID), and fits RFC 5545's 31 bits. A version below
 * the id counts from 0; a difference beyond 31 bits is capped.
 */
export function sequenceOf(session: SessionDescription): number {
  const id = BigInt(session.origin.sessionId);
  const version = BigInt(session.origin.sessionVersion);
  const n = version >= id ? version - id : version;
  return n > BigInt(MAX_SEQUENCE) ? MAX_SEQUENCE : Number(n);
}

/** A UID part: letters, digits, `.`, `_` and `-` kept, everything else percent-encoded. */
function uidPart(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/**
 * The UID of an event: stable from the SDP origin (user, session id, address: the session's
 * globally unique identifier, RFC 8866 §5.2, which a new version keeps), the `t=` block and
 * the series within it.
 */
export function uidOf(session: SessionDescription, block: number, series?: number): string {
  const o = session.origin;
  return `sdp-${uidPart(o.username)}-${uidPart(o.sessionId)}-t${block}${series === undefined ? '' : `-s${series}`}@${uidPart(o.address)}`;
}

/** The events of one conference (none for a permanent session). */
export function conferenceEvents(conference: ConferenceItem, links: ConferenceLinks): ICalEventData[] {
  const { session, summary } = conference;
  const addresses = addressesOf(session);
  const description = [
    summary.description,
    `Join: ${links.sdp}`,
    `Details: ${links.page}`,
    addresses.length > 0 ? `Addresses: ${addresses.join(', ')}` : undefined,
    `Originator: ${summary.originator}`,
    ...session.emails.map((c) => `E-mail: ${c.name ? `${c.name} <${c.value}>` : c.value}`),
    ...session.phones.map((c) => `Phone: ${c.name ? `${c.name} <${c.value}>` : c.value}`),
  ]
    .filter((line) => line !== undefined)
    .map(oneLine)
    .join('\n');
  const common = {
    summary: oneLine(summary.name),
    description,
    location: addresses.length > 0 ? oneLine(addresses.join(', ')) : null,
    url: links.sdp,
    sequence: sequenceOf(session),
  };
  const events: ICalEventData[] = [];
  session.times.forEach((t, block) => {
    if (t.start === 0) return;
    if (t.repeats.length === 0) {
      events.push({ ...common, id: uidOf(session, block), start: ntpToDate(t.start)!, ...(t.stop === 0 ? {} : { end: ntpToDate(t.stop)! }) });
      return;
    }
    repeatSeries(session.times, block).forEach((series, n) => events.push({ ...common, id: uidOf(session, block, n), ...seriesTimes(series) }));
  });
  return events;
}

/** DTSTART, DTEND and the RRULE of a series; a series of one occurrence has no rule. */
function seriesTimes(series: RepeatSeries): Pick<ICalEventData, 'start' | 'end' | 'repeating'> {
  const end = new Date(series.first.getTime() + series.durationSeconds * 1000);
  if (series.count === 1) return { start: series.first, end };
  return { start: series.first, end, repeating: { ...frequencyOf(series.intervalSeconds), ...(series.count === undefined ? {} : { count: series.count }) } };
}

/** A calendar of conferences; `links` gives each one's URLs. */
export function calendarOf(name: string, conferences: readonly ConferenceItem[], links: (c: ConferenceItem) => ConferenceLinks, description?: string): string {
  const calendar = ical({ name: oneLine(name), prodId: { company: 'Rendezvous', product: 'conference directory', language: 'EN' }, ...(description ? { description: oneLine(description) } : {}) });
  for (const conference of conferences) for (const event of conferenceEvents(conference, links(conference))) calendar.createEvent(event);
  // RFC 5545 ends every content line with CRLF, the last one too.
  const text = calendar.toString();
  return text.endsWith('\r\n') ? text : `${text}\r\n`;
}
