/**
 * What the web page and the calendar read, through the directory's searches as an anonymous
 * client (the access rules anonymous LDAP clients get apply): conferences under way and
 * upcoming from the time-window search, permanent ones, one conference by its DN, people.
 * Reads only; every read is bounded in entries and in time, and lets the event loop run
 * while it scans (the primary process also commits the writes).
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { OperationError, SCANNING, type DirectoryTree, type Filter, type SearchScope, type ViewAttribute } from '../directory/index.js';
import { toGeneralizedTime } from '../sdp/index.js';
import { conferenceOf, CONFERENCE_ATTRIBUTES, personOf, PERSON_ATTRIBUTES, type ConferenceItem, type EntryRead, type PersonItem } from './entries.js';

/** Most entries one read takes from the directory: a page is sorted from at most this many. */
export const MAX_READ = 1000;
/** Longest one read scans, in milliseconds, before it answers with what it found. */
export const MAX_READ_MS = 2000;

/** Entries read, and whether the read stopped at {@link MAX_READ} or {@link MAX_READ_MS}. */
export interface Read<T> {
  items: T[];
  truncated: boolean;
}

/** The sections of the page, in the page's order. */
export interface Listing {
  now: ConferenceItem[];
  upcoming: ConferenceItem[];
  permanent: ConferenceItem[];
  /** Some read stopped at its limit: narrow the search to see the rest. */
  truncated: boolean;
}

/** Which conferences to list: those on until `until` (ms), with `text` in their name or description. */
export interface ListingQuery {
  until: number;
  /** Only those under way now (the "now" filter): no upcoming, no permanent. */
  nowOnly: boolean;
  text?: string;
}

const present = (attribute: string): Filter => ({ type: 'present', attribute });
const equality = (attribute: string, value: string): Filter => ({ type: 'equality', attribute, value });
const CONFERENCE: Filter = equality('objectClass', 'rtConference');

/** Case and compatibility forms folded: what the search box compares. */
function folded(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * How to read the attributes of a search result that carries them as stored bytes
 * (EntryView.encoded): the protocol's attribute codec, which the composition root hands in.
 */
export type ReadEncoded = (encoded: Buffer) => ViewAttribute[];

/** Reads the directory for the page and the calendar. */
export class Catalogue {
  constructor(
    private readonly directory: DirectoryTree,
    private readonly readEncoded: ReadEncoded,
    private readonly now: () => number = Date.now,
  ) {}

  /** The suffix every read starts from. */
  get base(): string {
    return this.directory.options.suffix;
  }

  /**
   * Entries matching `filter` below `base`, at most `limit`, after the entry id `afterId`;
   * stops at {@link MAX_READ_MS}. Throws the directory's {@link OperationError} (a missing base).
   */
  async search(base: string, scope: SearchScope, filter: Filter, attributes: readonly string[], limit = MAX_READ, afterId?: number): Promise<Read<{ id: number; entry: EntryRead }>> {
    const identity = this.directory.anonymous('web page');
    const results = this.directory.search(identity, { base, scope, filter, attributes, typesOnly: false, pauseAfterMs: 5, ...(afterId === undefined ? {} : { afterId }) });
    const items: { id: number; entry: EntryRead }[] = [];
    const started = performance.now();
    for (const result of results) {
      if (result === SCANNING) {
        if (performance.now() - started > MAX_READ_MS) return { items, truncated: true };
        await yieldToLoop();
        continue;
      }
      if (items.length === limit) return { items, truncated: true };
      const { dn, encoded } = result.view;
      items.push({ id: result.id, entry: { dn, attributes: encoded ? this.readEncoded(encoded) : result.view.attributes } });
    }
    return { items, truncated: false };
  }

  /** Conferences matching `filter`, read as page items. */
  async conferences(filter: Filter, limit = MAX_READ): Promise<Read<ConferenceItem>> {
    const read = await this.search(this.base, 'sub', { type: 'and', filters: [CONFERENCE, filter] }, CONFERENCE_ATTRIBUTES, limit);
    const now = new Date(this.now());
    return { items: read.items.map((r) => conferenceOf(r.entry, now)).filter((c) => c !== undefined), truncated: read.truncated };
  }

  /**
   * Conferences with an occurrence between now and `until` (the time-window search, and
   * unbounded ones started by then), sorted by that occurrence, then permanent ones.
   */
  async listing(query: ListingQuery): Promise<Listing> {
    const now = this.now();
    const from = toGeneralizedTime(new Date(now));
    const to = toGeneralizedTime(new Date(query.nowOnly ? now : query.until));
    const started: Filter = { type: 'le', attribute: 'startTime', value: to };
    const bounded = await this.conferences({ type: 'and', filters: [started, { type: 'ge', attribute: 'stopTime', value: from }] });
    const unbounded = await this.conferences({ type: 'and', filters: [started, { type: 'not', filter: present('stopTime') }] });
    const permanent = query.nowOnly ? { items: [], truncated: false } : await this.conferences({ type: 'not', filter: present('startTime') });
    const text = query.text === undefined ? undefined : folded(query.text);
    const wanted = (c: ConferenceItem): boolean =>
      text === undefined || folded(c.summary.name).includes(text) || folded(c.summary.description ?? '').includes(text) || folded(c.uid).includes(text);
    const timed = [...bounded.items, ...unbounded.items].filter(wanted).sort((a, b) => (a.next?.start?.getTime() ?? 0) - (b.next?.start?.getTime() ?? 0));
    const limit = query.nowOnly ? now : query.until;
    return {
      now: timed.filter((c) => c.next?.start !== undefined && c.next.start.getTime() <= now),
      upcoming: query.nowOnly ? [] : timed.filter((c) => c.next?.start !== undefined && c.next.start.getTime() > now && c.next.start.getTime() <= limit),
      permanent: permanent.items.filter(wanted).sort((a, b) => a.summary.name.localeCompare(b.summary.name)),
      truncated: bounded.truncated || unbounded.truncated || permanent.truncated,
    };
  }

  /** Every conference with a start (bounded, unbounded, repeating) whose name has `name` in it: what a calendar holds. */
  async scheduled(name: string | undefined, limit: number): Promise<Read<ConferenceItem>> {
    const read = await this.conferences(present('startTime'), MAX_READ);
    const text = name === undefined ? undefined : folded(name);
    const items = read.items.filter((c) => text === undefined || folded(c.summary.name).includes(text) || folded(c.uid).includes(text));
    return { items: items.slice(0, limit), truncated: read.truncated || items.length > limit };
  }

  /** One conference by its DN; undefined when there is none (or the DN is not one). */
  async conference(dn: string): Promise<ConferenceItem | undefined> {
    try {
      const read = await this.search(dn, 'base', CONFERENCE, CONFERENCE_ATTRIBUTES, 1);
      const entry = read.items[0]?.entry;
      return entry && conferenceOf(entry, new Date(this.now()));
    } catch (error) {
      if (error instanceof OperationError) return undefined;
      throw error;
    }
  }

  /** People (rtPerson), `limit` after the entry id `afterId`; `next` is where the following page starts. */
  async people(limit: number, afterId?: number): Promise<{ items: PersonItem[]; next?: number }> {
    const read = await this.search(this.base, 'sub', equality('objectClass', 'rtPerson'), PERSON_ATTRIBUTES, limit, afterId);
    const last = read.items.at(-1);
    return { items: read.items.map((r) => personOf(r.entry)), ...(read.truncated && last ? { next: last.id } : {}) };
  }
}
