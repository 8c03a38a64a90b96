/**
 * What the web page shows of an entry, read from a search result into typed values: a
 * conference (its blob parsed, its summary and next occurrence computed, its clashes) or a
 * person. The edge where attribute values become the page's model.
 */
import type { ViewAttribute } from '../directory/index.js';
import { nextOccurrence, parseSdp, summarize, type ConferenceSummary, type Occurrence, type SessionDescription } from '../sdp/index.js';

/** The attributes the page reads of a conference. */
export const CONFERENCE_ATTRIBUTES: readonly string[] = ['uid', 'cn', 'conferenceBlob', 'multicastClash'];

/** The attributes the page reads of a person. */
export const PERSON_ATTRIBUTES: readonly string[] = ['cn', 'givenName', 'sn', 'mail', 'location', 'comment', 'appName'];

/** A conference as the page and the calendar show it. */
export interface ConferenceItem {
  dn: string;
  /** The entry's name (uid, or cn). */
  uid: string;
  /** The SDP text exactly as stored (UTF-8, as the directory requires). */
  blob: string;
  session: SessionDescription;
  summary: ConferenceSummary;
  /** The occurrence in progress at the time of reading, or the next; absent when over (or permanent). */
  next?: Occurrence;
  /** `group holder` values of multicastClash. */
  clashes: string[];
}

/** A person (rtPerson). */
export interface PersonItem {
  dn: string;
  cn: string;
  fullName?: string;
  mail: string[];
  location?: string;
  comment?: string;
  applications: string[];
}

/** An entry as the page reads it: its DN and its attributes, decoded. */
export interface EntryRead {
  dn: string;
  attributes: readonly ViewAttribute[];
}

function values(view: EntryRead, name: string): string[] {
  return view.attributes.find((a) => a.name.toLowerCase() === name.toLowerCase())?.values ?? [];
}

/**
 * A conference from its search result, or undefined when it has no blob the page can read
 * (the directory validates blobs on write, so only an entry written by hand before that
 * lacks one).
 */
export function conferenceOf(view: EntryRead, now: Date): ConferenceItem | undefined {
  const blob = values(view, 'conferenceBlob')[0];
  if (blob === undefined) return undefined;
  const parsed = parseSdp(blob, { mode: 'lenient' });
  if (!parsed.valid) return undefined;
  const session = parsed.description;
  const item: ConferenceItem = {
    dn: view.dn,
    uid: values(view, 'uid')[0] ?? values(view, 'cn')[0] ?? view.dn,
    blob,
    session,
    summary: summarize(session),
    clashes: values(view, 'multicastClash'),
  };
  const next = session.times.every((t) => t.start === 0) ? undefined : nextOccurrence(session.times, now);
  if (next) item.next = next;
  return item;
}

/** A person from its search result. */
export function personOf(view: EntryRead): PersonItem {
  const one = (name: string): string | undefined => values(view, name)[0];
  const fullName = [one('givenName'), one('sn')].filter((v) => v !== undefined).join(' ');
  const item: PersonItem = { dn: view.dn, cn: one('cn') ?? view.dn, mail: values(view, 'mail'), applications: values(view, 'appName') };
  if (fullName !== '') item.fullName = fullName;
  const location = one('location');
  if (location !== undefined) item.location = location;
  const comment = one('comment');
  if (comment !== undefined) item.comment = comment;
  return item;
}
