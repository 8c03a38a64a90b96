/**
 * The time-window search (&(startTime<=T1)(stopTime>=T0)) runs on an R*Tree of conference
 * spans, and, for all user attributes, on the time-clustered copy the server fills while writes
 * pause: its answers must be exactly those of the filter, whatever the spans and the path, and
 * follow modifies, deletes and restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapadd, ldapdelete, ldapmodify, ldapsearch, ldifAdd, ldifModify } from '../helpers/ldap-tools.js';
import { accountDn, startServer, type TestServer } from '../helpers/server.js';
import { sdp } from '../sdp/helpers.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const alice = { dn: accountDn('alice'), password: 'alice-pw' };
const HOUR = 3600_000;
const base = Math.floor(Date.now() / HOUR) * HOUR + 24 * HOUR; // tomorrow, on the hour
const ntp = (ms: number): number => Math.floor(ms / 1000) + 2_208_988_800;
const gt = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');

/** Conferences by name: [start, stop] in hours from `base`; stop null is unbounded. */
const SPANS: Record<string, [number, number | null]> = {
  early: [0, 1],
  overlapping: [0.5, 3],
  later: [5, 6],
  long: [-10, 100],
  unbounded: [2, null],
  repeated: [0, 48], // daily for an hour: occurrences at 0 h and 24 h, so its stopTime is 25 h
};

function blob(name: string, start: number, stop: number | null): string {
  const lines = ['v=0', `o=alice ${ntp(base)} 1 IN IP4 host.example.com`, `s=${name}`, 'c=IN IP4 239.255.7.1/15', `t=${ntp(base + start * HOUR)} ${stop === null ? 0 : ntp(base + stop * HOUR)}`];
  if (name === 'repeated') lines.push('r=1d 1h 0');
  return sdp(...lines, 'm=audio 49170 RTP/AVP 0');
}

describe('time-window searches', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts: [{ name: 'alice', password: alice.password }] });
    for (const [name, [start, stop]] of Object.entries(SPANS)) {
      const r = await ldapadd(server.url, ldifAdd(`uid=${name},${DYNAMIC}`, { objectClass: 'rtConference', conferenceBlob: Buffer.from(blob(name, start, stop)) }), { auth: alice });
      expect(r.code, explain(r)).toBe(0);
    }
  });
  afterAll(() => server.stop());

  /** The uids a window finds, asking for uid only (the R*Tree path) or, with `all`, for all user attributes (the copy). */
  const window = async (from: number, to: number, all = false): Promise<string[]> => {
    const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter: `(&(objectClass=rtConference)(startTime<=${gt(base + to * HOUR)})(stopTime>=${gt(base + from * HOUR)}))`, attrs: all ? [] : ['uid'] });
    expect(r.code, explain(r)).toBe(0);
    return r.entries.map((e) => e.one('uid')).sort();
  };
  /**
   * What the filter means, computed here from the spans. An unbounded conference has no
   * stopTime, so (stopTime>=T0) is false for it: clients add (!(stopTime=*)) to include them.
   */
  const expected = (from: number, to: number): string[] =>
    Object.entries(SPANS)
      .filter(([name, [start, stop]]) => stop !== null && start <= to && (name === 'repeated' ? 25 : stop) >= from)
      .map(([name]) => name)
      .sort();

  it('finds exactly the conferences overlapping each window', async () => {
    for (const [from, to] of [
      [0.25, 0.75],
      [1, 1],
      [3.5, 4.5],
      [5.5, 200],
      [-20, -11],
      [101, 102],
      [-1, 0],
    ] as const) {
      expect(await window(from, to), `window ${from}..${to} h`).toEqual(expected(from, to));
    }
  });

  it('answers the same from the time-clustered copy, read for all user attributes, once the server filled it', async () => {
    // The server logs each time the copy is up to date after copying: here, the adds above.
    const deadline = Date.now() + 20_000;
    while (!/time-clustered copy of the conferences up to date \([1-9]\d* entries/.test(server.logs())) {
      expect(Date.now(), `no copy reported up to date:\n${server.logs()}`).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const [from, to] of [
      [0.25, 0.75],
      [1, 1],
      [3.5, 4.5],
      [5.5, 200],
      [-20, -11],
      [101, 102],
      [-1, 0],
    ] as const) {
      expect(await window(from, to, true), `window ${from}..${to} h, all attributes`).toEqual(expected(from, to));
    }
  });

  it('follows a modify that moves a conference, and a delete', async () => {
    const moved = await ldapmodify(server.url, ldifModify(`uid=later,${DYNAMIC}`, [{ op: 'replace', attr: 'conferenceBlob', values: [Buffer.from(blob('later', 200, 201))] }]), { auth: alice });
    expect(moved.code, explain(moved)).toBe(0);
    for (const all of [false, true]) {
      expect(await window(5, 6, all)).not.toContain('later');
      expect(await window(200.5, 200.5, all)).toEqual(['later']);
    }
    expect((await ldapdelete(server.url, `uid=overlapping,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    for (const all of [false, true]) expect(await window(2.5, 2.5, all)).toEqual(['long', 'repeated']);
  });

  it('finds unbounded conferences when the filter asks for them', async () => {
    const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter: `(&(startTime<=${gt(base + 3 * HOUR)})(|(stopTime>=${gt(base + 3 * HOUR)})(!(stopTime=*))))`, attrs: ['uid'] });
    expect(r.entries.map((e) => e.one('uid')).sort()).toEqual(['long', 'repeated', 'unbounded']);
  });

  it('gives the same answers after a restart', async () => {
    const before = await window(-100, 300);
    expect(await window(-100, 300, true)).toEqual(before);
    await server.restart();
    expect(await window(-100, 300)).toEqual(before);
    expect(await window(-100, 300, true)).toEqual(before);
  });
});
