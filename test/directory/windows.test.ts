/**
 * Time-window searches read the conferences clustered by time (schema/009-conference-windows.sql)
 * up to the copy's watermark and `entries` above it: they find exactly the conferences
 * overlapping the window, whichever duration class, scope, batch and side of the watermark
 * they fall in, the same as the search by the span index; the copy follows every add,
 * modify, refresh, expiry and delete below the watermark, and the copier fills it while
 * writes pause.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseFilter, spanOf, type DirectoryTree } from '../../src/directory/index.js';
import { openDirectory } from '../../src/server/index.js';
import { toGeneralizedTime } from '../../src/sdp/time.js';
import type { SqliteDatabase } from '../../src/store/database.js';
import type { EntryStore } from '../../src/store/index.js';
import { sdp } from '../sdp/helpers.js';

const admin = { dn: 'cn=root', ndn: 'cn=root', admin: true, address: '127.0.0.1' };
const NTP_OFFSET = 2_208_988_800;
/** The clock of these tests: 2027-01-01T00:00:00Z, in seconds. */
const T = 1_798_761_600;
const HOUR = 3600;
const DAY = 86_400;
const dnOf = (uid: string): string => `uid=${uid},ou=dynamic,o=Intranet`;
const gt = (seconds: number): string => toGeneralizedTime(new Date(seconds * 1000));
const windowFilter = (t0: number, t1: number): string => `(&(objectClass=rtConference)(startTime<=${gt(t1)})(stopTime>=${gt(t0)}))`;

/** A conference's SDP times: start and stop in Unix seconds (0: none, as SDP writes it). */
interface Times {
  start: number;
  stop: number;
}

const blobOf = (uid: string, { start, stop }: Times): Buffer =>
  Buffer.from(sdp('v=0', 'o=- 1 1 IN IP4 h.example', `s=${uid}`, 'c=IN IP4 192.0.2.1', `t=${start === 0 ? 0 : start + NTP_OFFSET} ${stop === 0 ? 0 : stop + NTP_OFFSET}`));

function addConference(directory: DirectoryTree, uid: string, times: Times, classes = ['rtConference']): void {
  directory.add(admin, dnOf(uid), [
    { type: 'objectClass', values: classes.map((c) => Buffer.from(c)) },
    { type: 'conferenceBlob', values: [blobOf(uid, times)] },
  ]);
}

/** The uids (from the DNs) a search finds, in the order it sends them; all user attributes unless `attributes` says. */
function found(directory: DirectoryTree, filter: string, options: { base?: string; scope?: 'one' | 'sub'; attributes?: string[]; afterId?: number } = {}): string[] {
  const results = directory.search(admin, {
    base: options.base ?? 'ou=dynamic,o=Intranet',
    scope: options.scope ?? 'one',
    filter: parseFilter(filter),
    attributes: options.attributes ?? [],
    typesOnly: false,
    ...(options.afterId === undefined ? {} : { afterId: options.afterId }),
  });
  return [...results].map((r) => /^uid=([^,]+),/.exec(r.view.dn)![1]!);
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.floor((state / 2_147_483_648) * n);
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rendezvous-windows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let directory: DirectoryTree;
let db: SqliteDatabase;
let entries: EntryStore;

let files = 0;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T * 1000);
  const path = join(dir, `w${(files += 1)}.db`);
  ({ directory, db, entries } = openDirectory({ db: path, suffix: 'o=Intranet', ilsOpen: false, version: 't' }));
});
afterEach(() => {
  directory.close();
  db.close();
  vi.useRealTimers();
});

describe('time-window searches', () => {
  it('find exactly the conferences overlapping each window, of every length, in every scope, as the span index does', () => {
    const next = random(9);
    const lengths = [0, 1, 2, 59, HOUR - 1, HOUR, HOUR + 1, 2 * HOUR, DAY, 3 * DAY, 40 * DAY, 400 * DAY];
    const conferences = new Map<string, Times>();
    for (let i = 0; i < 200; i += 1) {
      const start = T + HOUR + next(20 * DAY);
      conferences.set(`c${i}`, { start, stop: start + lengths[next(lengths.length)]! });
    }
    // Many of one length starting in the same second share a slot's sequence numbers.
    for (let i = 0; i < 40; i += 1) conferences.set(`same${i}`, { start: T + 5 * DAY, stop: T + 5 * DAY + HOUR });
    // A permanent session and one without an end hold no startTime or stopTime to match.
    for (let i = 0; i < 5; i += 1) conferences.set(`permanent${i}`, { start: 0, stop: 0 });
    for (let i = 0; i < 5; i += 1) conferences.set(`open${i}`, { start: T + 2 * DAY, stop: 0 });
    for (const [uid, times] of conferences) addConference(directory, uid, times);
    const total = db.prepare('SELECT count(*) FROM entries').pluck().get() as number;

    const expected = (t0: number, t1: number): string[] =>
      [...conferences].filter(([, c]) => c.start !== 0 && c.stop !== 0 && c.start <= t1 && c.stop >= t0).map(([uid]) => uid);
    const bounded = [...conferences.values()].filter((c) => c.stop !== 0 && c.start !== 0);
    // Windows at random, and on each side of conferences' starts and stops.
    const windows: Array<[number, number]> = [];
    for (let i = 0; i < 60; i += 1) {
      const t0 = T + next(22 * DAY);
      windows.push([t0, t0 + [0, 1, HOUR, 3 * DAY][next(4)]!]);
    }
    for (const c of bounded.slice(0, 40)) for (const d of [-1, 0, 1]) windows.push([c.stop + d, c.stop + d + HOUR], [c.start + d - HOUR, c.start + d]);
    windows.push([T + 5 * DAY, T + 5 * DAY]);

    // Nothing copied, the first half copied, everything copied.
    const states: Array<[string, () => void]> = [
      ['nothing copied', () => undefined],
      ['the first half copied', () => expect(entries.copyWindows(Math.floor(total / 2), spanOf)).toBe(Math.floor(total / 2))],
      ['everything copied', () => expect(entries.copyWindows(total, spanOf)).toBeLessThan(total)],
    ];
    for (const [state, copy] of states) {
      copy();
      check(windows, expected, state);
    }
    expect(db.prepare('SELECT count(*) FROM conference_windows').pluck().get()).toBe(bounded.length);
    expect(found(directory, windowFilter(T, T + 30 * DAY), { base: 'o=Intranet', scope: 'one' })).toEqual([]);
    expect(found(directory, windowFilter(T + 5 * DAY, T + 5 * DAY)).filter((uid) => uid.startsWith('same'))).toHaveLength(40);
  });
});

/** Every window found the same way by each path: all attributes (the copy), selected ones (the span index), subtree scope. */
function check(windows: ReadonlyArray<readonly [number, number]>, expected: (t0: number, t1: number) => string[], state: string): void {
    for (const [t0, t1] of windows) {
      const want = expected(t0, t1).sort();
      const filter = windowFilter(t0, t1);
      expect(found(directory, filter).sort(), `${t0}..${t1}, ${state}`).toEqual(want);
      // Selected attributes are read from entries by the span index: the same answer.
      expect(found(directory, filter, { attributes: ['uid'] }).sort(), `${t0}..${t1} by the span index, ${state}`).toEqual(want);
      expect(found(directory, filter, { base: 'o=Intranet', scope: 'sub' }).sort(), `${t0}..${t1} subtree, ${state}`).toEqual(want);
    }
}

/** Copies everything (the copier's work, done at once). */
const copyAll = (): void => {
  while (entries.copyWindows(1000, spanOf) === 1000) continue;
};

describe('time-window searches, more', () => {
  it('read the clustered copy by one rowid range per duration class, and above the watermark the span index, never a scan', () => {
    addConference(directory, 'a', { start: T + HOUR, stop: T + 2 * HOUR });
    copyAll();
    const plan = directory.explain({ base: 'ou=dynamic,o=Intranet', scope: 'one', filter: parseFilter(windowFilter(T, T + DAY)) }).join('\n');
    expect(plan).toMatch(/SEARCH w USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    expect(plan).toMatch(/conference_spans VIRTUAL TABLE/);
    expect(plan).toMatch(/SEARCH entries USING INTEGER PRIMARY KEY/);
    expect(plan).not.toMatch(/SCAN (entries|w)\b/);
    // Only the classes present are read.
    expect(db.prepare('SELECT class FROM conference_window_classes').pluck().all()).toEqual([12]);
  });

  it.each([false, true])('send every match once, in id order, when a window holds more than a batch, and continue after an id for paging (copied: %s)', (copied) => {
    const uids: string[] = [];
    for (let i = 0; i < 300; i += 1) {
      uids.push(`w${String(i).padStart(3, '0')}`);
      addConference(directory, uids.at(-1)!, { start: T + DAY + ((i * 7919) % 3000), stop: T + DAY + 4000 + i });
    }
    if (copied) copyAll();
    const all = found(directory, windowFilter(T + DAY + 3500, T + DAY + 3600));
    expect(all).toEqual(uids);
    const ids = [...directory.search(admin, { base: 'ou=dynamic,o=Intranet', scope: 'one', filter: parseFilter(windowFilter(T + DAY + 3500, T + DAY + 3600)), attributes: [], typesOnly: false })].map((r) => r.id);
    expect(found(directory, windowFilter(T + DAY + 3500, T + DAY + 3600), { afterId: ids[99]! })).toEqual(uids.slice(100));
  });

  it.each([false, true])('follow modifies, refreshes, expiry and deletes (copied: %s)', (copied) => {
    const rows = (): number => db.prepare('SELECT count(*) FROM conference_windows').pluck().get() as number;
    for (const uid of ['a', 'b']) addConference(directory, uid, { start: T + 2 * HOUR, stop: T + 3 * HOUR }, ['rtConference', 'dynamicObject']);
    if (copied) copyAll();
    const early = windowFilter(T + 2 * HOUR, T + 2 * HOUR + 60);
    const late = windowFilter(T + 5 * HOUR, T + 5 * HOUR + 60);
    expect(found(directory, early)).toEqual(['a', 'b']);

    directory.modify(admin, dnOf('a'), [{ operation: 'replace', modification: { type: 'conferenceBlob', values: [blobOf('a', { start: T + 5 * HOUR, stop: T + 6 * HOUR })] } }]);
    expect(found(directory, early)).toEqual(['b']);
    expect(found(directory, late)).toEqual(['a']);
    directory.modify(admin, dnOf('a'), [{ operation: 'replace', modification: { type: 'conferenceBlob', values: [blobOf('a', { start: 0, stop: 0 })] } }]);
    expect(found(directory, late)).toEqual([]);
    expect(rows()).toBe(copied ? 1 : 0);
    directory.modify(admin, dnOf('a'), [{ operation: 'replace', modification: { type: 'conferenceBlob', values: [blobOf('a', { start: T + 2 * HOUR, stop: T + 3 * HOUR })] } }]);
    expect(found(directory, early)).toEqual(['a', 'b']);

    // Both lapse after their TTL; a refresh of one keeps it, and the copy says so.
    const ttl = (db.prepare('SELECT expires_at FROM entries WHERE dn = ?').pluck().get(dnOf('b')) as number) / 1000 - T;
    expect(ttl).toBeGreaterThan(0);
    vi.setSystemTime((T + ttl - 10) * 1000);
    directory.refresh(admin, dnOf('b'), 2 * ttl);
    vi.setSystemTime((T + ttl + 10) * 1000);
    expect(found(directory, early)).toEqual(['b']);
    expect(found(directory, early, { attributes: ['uid'] })).toEqual(['b']);

    directory.delete(admin, dnOf('b'));
    expect(found(directory, early)).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM conference_windows WHERE dn = ?').pluck().get(dnOf('b'))).toBe(0);
  });

  it('has a copier that reports a failed copy and goes on, searches answering from the entries', async () => {
    addConference(directory, 'a', { start: T + HOUR, stop: T + 2 * HOUR });
    db.pragma('query_only = ON');
    const failed = new Promise<Error>((resolve) => directory.startWindowCopy(undefined, resolve));
    expect((await failed).message).toMatch(/readonly/i);
    expect(db.prepare('SELECT upto FROM conference_windows_copied').pluck().get()).toBe(0);
    expect(found(directory, windowFilter(T, T + DAY))).toEqual(['a']);
    db.pragma('query_only = OFF');
  });

  it('is filled by the copier while writes pause, and an entry below the watermark is copied when written', async () => {
    for (const [uid, start] of [['a', T + HOUR], ['b', T + DAY]] as const) addConference(directory, uid, { start, stop: start + HOUR });
    addConference(directory, 'permanent', { start: 0, stop: 0 });
    const highest = db.prepare('SELECT max(id) FROM entries').pluck().get() as number;
    const done = new Promise<{ entries: number }>((resolve) => directory.startWindowCopy(resolve));
    expect((await done).entries).toBe(highest);
    expect(db.prepare('SELECT upto FROM conference_windows_copied').pluck().get()).toBe(highest);
    expect(db.prepare('SELECT dn FROM conference_windows ORDER BY id').pluck().all()).toEqual([dnOf('a'), dnOf('b')]);
    expect(found(directory, windowFilter(T, T + 2 * DAY))).toEqual(['a', 'b']);

    // SQLite gives the next entry the highest id again once the entry holding it is gone: at
    // the watermark, so it is copied with the write.
    directory.delete(admin, dnOf('permanent'));
    addConference(directory, 'c', { start: T + 2 * HOUR, stop: T + 3 * HOUR });
    expect(db.prepare('SELECT id FROM entries WHERE dn = ?').pluck().get(dnOf('c'))).toBe(highest);
    expect(db.prepare('SELECT count(*) FROM conference_windows WHERE dn = ?').pluck().get(dnOf('c'))).toBe(1);
    expect(found(directory, windowFilter(T, T + 2 * DAY))).toEqual(['a', 'b', 'c']);
  });
});
