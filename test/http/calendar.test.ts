/**
 * The calendar feeds read by an independent iCalendar reader (python3-icalendar, with
 * dateutil expanding the rules): the repeat cases of the SDP fixtures become the events and
 * RRULEs RFC 5545 asks for (one VEVENT per t= block, a series per offset, FREQ from the
 * largest unit dividing the interval, z= adjustments as series of their own), whose
 * occurrences are exactly those the SDP schedule has; unbounded repeats have no COUNT,
 * permanent sessions no event; UID and SEQUENCE come from the origin.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextOccurrence, parseSdpStrict, type TimeDescription } from '../../src/sdp/index.js';
import { runPython } from '../helpers/python.js';
import { stopAllServers } from '../helpers/server.js';
import { addConference, conferencePath, fixture, movedFixture, ntp, NTP_OFFSET, sdp, startWebServer, type WebServer } from './helpers.js';

interface IcsEvent {
  uid: string;
  summary: string;
  sequence: number | null;
  start: string;
  end: string | null;
  rrule: string | null;
  url: string | null;
  location: string | null;
  description: string | null;
  occurrences: [string, string | null][];
}

const SCRIPT = fileURLToPath(new URL('./fixtures/ics_events.py', import.meta.url));
const iso = (ntpSeconds: number): string => new Date((ntpSeconds - NTP_OFFSET) * 1000).toISOString().replace('.000', '');
/** Until when occurrences are compared. */
const HORIZON = '2100-01-01T00:00:00Z';

/** The calendar at `path`, as python3-icalendar reads it. */
async function readCalendar(web: string, path: string): Promise<{ name: string; events: IcsEvent[]; type: string | null }> {
  const response = await fetch(`${web}${path}`);
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
  const r = await runPython<{ name: string; events: IcsEvent[] }>(SCRIPT, [HORIZON], { input: text });
  expect(r.code, r.stderr).toBe(0);
  return { ...r.json!, type: response.headers.get('content-type') };
}

/** Every occurrence of a schedule up to the horizon, as src/sdp expands it (none overlap in these fixtures). */
function expanded(times: readonly TimeDescription[]): [string, string | null][] {
  const out: [string, string | null][] = [];
  let after = new Date(0);
  for (;;) {
    const o = nextOccurrence(times, after);
    if (!o?.start || o.start.toISOString() >= HORIZON) return out;
    out.push([o.start.toISOString().replace('.000', ''), o.end ? o.end.toISOString().replace('.000', '') : null]);
    if (!o.end) return out;
    after = o.end;
  }
}

const sorted = (events: IcsEvent[]): [string, string | null][] => events.flatMap((e) => e.occurrences).sort((a, b) => a[0].localeCompare(b[0]));

afterAll(() => stopAllServers());

describe('calendar feeds', () => {
  let s: WebServer;
  const seminar = movedFixture('schedule-repeats-zone.sdp');
  const now = Date.now();
  const openEnded = sdp('v=0', `o=ops ${ntp(now)} ${ntp(now)} IN IP4 noc.example.com`, 's=Open-ended weekly call', 'c=IN IP4 233.252.0.78/15', `t=${ntp(now) + 3600} 0`, 'r=1d 30m 0', 'm=audio 20002 RTP/AVP 0');
  const dns: Record<string, string> = {};
  beforeAll(async () => {
    s = await startWebServer();
    dns.seminar = await addConference(s.server.url, 'seminar', seminar.text);
    dns.incident = await addConference(s.server.url, 'incident', fixture('unbounded-session.sdp'));
    dns.radio = await addConference(s.server.url, 'radio', fixture('permanent-session.sdp'));
    dns.daily = await addConference(s.server.url, 'daily', openEnded);
  });

  it('writes each offset of each r= line as a series, cut where z= changes the shift, with FREQ from the largest unit dividing the interval', async () => {
    const { events, type } = await readCalendar(s.web, `${conferencePath(dns.seminar!)}/calendar.ics`);
    expect(type).toBe('text/calendar; charset=utf-8');
    const d = seminar.shift;
    // Block 0: t=3945146400 3949473600, r=7d 1h 0 25h, no z= (the z= line belongs to block 1, RFC 8866).
    // Block 1: t=3949984800 3972972600, r=604800 5400 0 and r=14d 90m 2d, z=3952285200 -1h 3970429200 0.
    const expected = [
      { uid: 't0-s0', start: iso(3945146400 + d), hours: 1, rrule: 'FREQ=WEEKLY;COUNT=8;INTERVAL=1' },
      { uid: 't0-s1', start: iso(3945146400 + 90000 + d), hours: 1, rrule: 'FREQ=WEEKLY;COUNT=8;INTERVAL=1' },
      { uid: 't1-s0', start: iso(3949984800 + d), hours: 1.5, rrule: 'FREQ=WEEKLY;COUNT=4;INTERVAL=1' },
      { uid: 't1-s1', start: iso(3949984800 + 4 * 604800 - 3600 + d), hours: 1.5, rrule: 'FREQ=WEEKLY;COUNT=30;INTERVAL=1' },
      { uid: 't1-s2', start: iso(3949984800 + 34 * 604800 + d), hours: 1.5, rrule: 'FREQ=WEEKLY;COUNT=5;INTERVAL=1' },
      { uid: 't1-s3', start: iso(3949984800 + 172800 + d), hours: 1.5, rrule: 'FREQ=WEEKLY;COUNT=2;INTERVAL=2' },
      { uid: 't1-s4', start: iso(3949984800 + 172800 + 2 * 1209600 - 3600 + d), hours: 1.5, rrule: 'FREQ=WEEKLY;COUNT=15;INTERVAL=2' },
      { uid: 't1-s5', start: iso(3949984800 + 172800 + 17 * 1209600 + d), hours: 1.5, rrule: 'FREQ=WEEKLY;COUNT=2;INTERVAL=2' },
    ];
    expect(events.map((e) => ({ uid: /-(t\d-s\d)@/.exec(e.uid)?.[1], start: e.start, hours: (Date.parse(e.end!) - Date.parse(e.start)) / 3_600_000, rrule: e.rrule }))).toEqual(expected);
    // The UID is the origin's (user, session id, address) with the block and series; SEQUENCE the version's distance from the id.
    expect(events[0]!.uid).toBe('sdp-mjh-3944678400-t0-s0@seminar.example.org');
    expect(new Set(events.map((e) => e.sequence))).toEqual(new Set([1]));
    // What dateutil expands from the rules is what the SDP schedule has, occurrence for occurrence.
    expect(sorted(events)).toEqual(expanded(parseSdpStrict(seminar.text).times));
    expect(sorted(events)).toHaveLength(8 + 8 + 4 + 30 + 5 + 2 + 15 + 2);
    // The join link and the addresses are in every event.
    for (const e of events) {
      expect(e.summary).toBe('Weekly Multicast Seminar');
      expect(e.url).toMatch(/\/session\.sdp$/);
      expect(e.location).toBe('audio 233.252.0.12/127 port 49170 RTP/AVP, video 233.252.0.12/127 port 51372 RTP/AVP');
      expect(e.description).toContain(`Join: ${e.url}`);
      expect(e.description).toContain('E-mail: Jane Doe <j.doe@example.org>');
    }
  });

  it('gives an unbounded repeat a rule without COUNT or UNTIL, and an unbounded session its start alone', async () => {
    const daily = (await readCalendar(s.web, `${conferencePath(dns.daily!)}/calendar.ics`)).events;
    expect(daily.map((e) => [e.start, e.end, e.rrule])).toEqual([[iso(ntp(now) + 3600), iso(ntp(now) + 3600 + 1800), 'FREQ=DAILY;INTERVAL=1']]);
    expect(daily[0]!.sequence).toBe(0);
    const incident = (await readCalendar(s.web, `${conferencePath(dns.incident!)}/calendar.ics`)).events;
    expect(incident.map((e) => [e.uid, e.start, e.end, e.rrule])).toEqual([['sdp-ops-3946370400-t0@noc.example.com', '2025-01-20T14:00:00Z', null, null]]);
  });

  it('holds every scheduled conference but no permanent session in /calendar.ics, and filters by name', async () => {
    const all = await readCalendar(s.web, '/calendar.ics');
    expect(all.name).toBe('Rendezvous conferences');
    expect(new Set(all.events.map((e) => e.summary))).toEqual(new Set(['Weekly Multicast Seminar', 'NOC Incident Bridge', 'Open-ended weekly call']));
    expect(all.events).toHaveLength(8 + 1 + 1);
    const radio = await readCalendar(s.web, `${conferencePath(dns.radio!)}/calendar.ics`);
    expect(radio.events).toEqual([]);
    const filtered = await readCalendar(s.web, '/calendar.ics?name=incident');
    expect(filtered.events.map((e) => e.summary)).toEqual(['NOC Incident Bridge']);
    expect(filtered.name).toBe('Rendezvous conferences: incident');
  });
});
