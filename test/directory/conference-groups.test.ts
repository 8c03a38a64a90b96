/**
 * Clash detection looks conferences up by multicast group (schema/005-conference-groups.sql):
 * it reads only the conferences sharing a group at an overlapping time, for IPv4 and IPv6
 * groups and ranges of any size, and the group table follows every write, delete and expiry,
 * including in a database written before the table existed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DirectoryTree } from '../../src/directory/index.js';
import { read } from './helpers.js';
import { openDirectory } from '../../src/server/index.js';
import { ConferenceGroups } from '../../src/store/conference-groups.js';
import type { SqliteDatabase } from '../../src/store/database.js';
import { EntryStore, type StoredEntry } from '../../src/store/index.js';
import { sdp } from '../sdp/helpers.js';

const admin = { dn: 'cn=root', ndn: 'cn=root', admin: true, address: '127.0.0.1' };
const NTP_OFFSET = 2_208_988_800;
/** NTP seconds `hours` from now. */
const ntpIn = (hours: number): number => Math.floor(Date.now() / 1000) + NTP_OFFSET + hours * 3600;
const dnOf = (uid: string): string => `uid=${uid},ou=dynamic,o=Intranet`;

/** A conference blob with one medium per `c=` value (`IP4 239.1.1.1/15`), from `hours[0]` to `hours[1]` or permanent. */
function blob(name: string, connections: readonly string[], hours?: readonly [number, number]): string {
  const media = connections.flatMap((c, i) => [`m=audio ${49170 + 2 * i} RTP/AVP 0`, `c=IN ${c}`]);
  const t = hours ? `t=${ntpIn(hours[0])} ${ntpIn(hours[1])}` : 't=0 0';
  return sdp('v=0', 'o=- 1 1 IN IP4 h.example', `s=${name}`, t, ...media);
}

function addConference(directory: DirectoryTree, uid: string, connections: readonly string[], hours?: readonly [number, number]): StoredEntry {
  return directory.add(admin, dnOf(uid), [
    { type: 'objectClass', values: [Buffer.from('rtConference')] },
    { type: 'conferenceBlob', values: [Buffer.from(blob(uid, connections, hours))] },
  ]);
}

/** The DNs the `multicastClash` flag of an entry names. */
const clashHolders = (entry: StoredEntry): string[] => (entry.attributes.multicastclash ?? []).map((v) => v.split(' ')[1]!).sort();

/** The DNs the `multicastClash` flag of a conference names now, read by a search. */
function flaggedNow(directory: DirectoryTree, dn: string): string[] {
  return (read(directory, dn, ['multicastClash'])?.get('multicastclash') ?? []).map((v) => v.split(' ')[1]!).sort();
}

/** Records the entries clash detection reads while `fn` runs, and proves it never scans. */
function entriesRead(fn: () => void): string[] {
  const read: string[] = [];
  const usingGroups = EntryStore.prototype.usingGroups;
  vi.spyOn(EntryStore.prototype, 'usingGroups').mockImplementation(function* (this: EntryStore, ...args) {
    for (const entry of usingGroups.apply(this, args)) {
      read.push(entry.dn);
      yield entry;
    }
  });
  const scan = vi.spyOn(EntryStore.prototype, 'scan');
  fn();
  expect(scan).not.toHaveBeenCalled();
  return read.sort();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('clash detection by multicast group', () => {
  let db: SqliteDatabase;
  let directory: DirectoryTree;
  const COUNT = 3000;

  beforeAll(() => {
    ({ db, directory } = openDirectory({ db: ':memory:', suffix: 'o=Intranet', ilsOpen: false, version: 'test' }));
    // Thousands of conferences on groups of their own, one in fifty of them permanent.
    for (let i = 0; i < COUNT; i += 1) {
      const group = `IP4 239.1.${i >> 8}.${i & 255}/15`;
      addConference(directory, `c${i}`, [group], i % 50 === 0 ? undefined : [1 + (i % 20), 2 + (i % 20)]);
    }
    // And a few that share 239.200.0.10: at hours 1-2, as part of a range, and for ever.
    addConference(directory, 'shareTimed', ['IP4 239.200.0.10/15'], [1, 2]);
    addConference(directory, 'shareRange', ['IP4 239.200.0.8/15/4'], [30, 40]);
    addConference(directory, 'sharePermanent', ['IP4 239.200.0.10/15']);
  }, 120_000);
  afterAll(() => db.close());

  it('reads only the conferences sharing its groups when a permanent conference is added', () => {
    let added: StoredEntry | undefined;
    const read = entriesRead(() => (added = addConference(directory, 'newPermanent', ['IP4 239.200.0.10/15', 'IP4 239.1.0.7/15'])));
    const sharing = ['shareTimed', 'shareRange', 'sharePermanent', 'c7'].map(dnOf).sort();
    // Its own check reads those; each of them, flagged again (a clash is mutual), reads those
    // sharing its groups in turn, the new conference among them: nothing else.
    expect([...new Set(read)].sort()).toEqual([...sharing, dnOf('newPermanent')].sort());
    expect(clashHolders(added!)).toEqual(sharing);
    expect(flaggedNow(directory, dnOf('c7'))).toEqual([dnOf('newPermanent')]);
  });

  it('reads only those sharing a group at an overlapping time when a timed conference is added', () => {
    let added: StoredEntry | undefined;
    const read = entriesRead(() => (added = addConference(directory, 'newTimed', ['IP4 239.200.0.10/15'], [35, 36])));
    // shareTimed holds the group at hours 1-2 only: the span table keeps it from being read
    // (the neighbours flagged again read it, as it shares their times).
    const sharing = ['shareRange', 'sharePermanent', 'newPermanent'].map(dnOf).sort();
    expect(read.filter((dn) => dn === dnOf('shareTimed')).length).toBeLessThan(read.filter((dn) => dn === dnOf('sharePermanent')).length);
    expect([...new Set(read)].sort()).toEqual([...sharing, dnOf('newTimed'), dnOf('shareTimed'), dnOf('c7')].sort());
    expect(clashHolders(added!)).toEqual(sharing);
    expect(flaggedNow(directory, dnOf('shareRange'))).toEqual(['sharePermanent', 'newPermanent', 'newTimed'].map(dnOf).sort());
  });

  it('looks groups up with index range searches, never a scan of the groups or the entries', () => {
    const groups = new ConferenceGroups(db);
    for (const group of [
      { family: 'ipv4', lo: 0xefc8000an, hi: 0xefc8000an },
      { family: 'ipv6', lo: 0xff150000000000000000000000000101n, hi: 0xff150000000000000000000000000103n },
    ] as const) {
      const plan = groups.explain(group, [0, 1e11]).join('\n');
      expect(plan).toContain('SEARCH g USING COVERING INDEX conference_groups_lookup (family=? AND bits=? AND lo>? AND lo<?)');
      expect(plan).toContain('SEARCH conference_groups USING COVERING INDEX conference_groups_lookup (family=? AND bits>?)');
      // The span check is a lookup of the R*Tree by id (its index 1), not an overlap query.
      expect(plan).toContain('SCAN s EXISTS VIRTUAL TABLE INDEX 1:');
      expect(plan).not.toMatch(/SCAN (g|conference_groups|entries)\b/);
    }
  });
});

describe('group overlap', () => {
  let db: SqliteDatabase;
  let directory: DirectoryTree;
  let entries: EntryStore;
  beforeEach(() => {
    ({ db, directory, entries } = openDirectory({ db: ':memory:', suffix: 'o=Intranet', ilsOpen: false, version: 'test' }));
  });
  afterEach(() => db.close());

  it('finds IPv6 groups and ranges that overlap, and only those', () => {
    addConference(directory, 'six', ['IP6 ff15::101/3'], [1, 2]);
    expect(clashHolders(addConference(directory, 'inside', ['IP6 ff15::103'], [1, 2]))).toEqual([dnOf('six')]);
    expect(clashHolders(addConference(directory, 'next', ['IP6 ff15::104/2'], [1, 2]))).toEqual([]);
    expect(clashHolders(addConference(directory, 'before', ['IP6 ff15::ff/2'], [1, 2]))).toEqual([]);
    expect(clashHolders(addConference(directory, 'straddling', ['IP6 ff15::100/2'], [1, 2]))).toEqual([dnOf('before'), dnOf('six')]);
    expect(clashHolders(addConference(directory, 'otherScope', ['IP6 ff18::101'], [1, 2]))).toEqual([]);
  });

  it('finds a range in the middle of another range, and a larger range around it', () => {
    addConference(directory, 'eight', ['IP4 224.2.1.0/127/8'], [1, 2]);
    expect(clashHolders(addConference(directory, 'middle', ['IP4 224.2.1.1/127/3'], [1, 2]))).toEqual([dnOf('eight')]);
    addConference(directory, 'wide', ['IP4 224.3.0.0/127/1024'], [1, 2]);
    // A single address near the end of a group of another size class, and just past it.
    expect(clashHolders(addConference(directory, 'nearEnd', ['IP4 224.3.3.255/127'], [1, 2]))).toEqual([dnOf('wide')]);
    expect(clashHolders(addConference(directory, 'pastEnd', ['IP4 224.3.4.0/127'], [1, 2]))).toEqual([]);
    expect(clashHolders(addConference(directory, 'overStart', ['IP4 224.2.255.254/127/3'], [1, 2]))).toEqual([dnOf('wide')]);
  });

  it('keeps the groups of a modified conference in step', () => {
    addConference(directory, 'moving', ['IP4 239.5.5.5/15'], [1, 2]);
    directory.modify(admin, dnOf('moving'), [{ operation: 'replace', modification: { type: 'conferenceBlob', values: [Buffer.from(blob('moving', ['IP4 239.6.6.6/15'], [1, 2]))] } }]);
    expect(clashHolders(addConference(directory, 'old', ['IP4 239.5.5.5/15'], [1, 2]))).toEqual([]);
    expect(clashHolders(addConference(directory, 'new', ['IP4 239.6.6.6/15'], [1, 2]))).toEqual([dnOf('moving')]);
  });

  it('removes the group rows of a deleted or expired conference', () => {
    const rows = (id: number): number => (db.prepare('SELECT count(*) AS n FROM conference_groups WHERE entry_id = ?').get(id) as { n: number }).n;
    const deleted = addConference(directory, 'deleted', ['IP4 239.7.7.7/15', 'IP6 ff15::7'], [1, 2]);
    const expiring = addConference(directory, 'expiring', ['IP4 239.8.8.8/15'], [1, 2]);
    expect([rows(deleted.id), rows(expiring.id)]).toEqual([2, 1]);
    directory.delete(admin, dnOf('deleted'));
    expect(rows(deleted.id)).toBe(0);
    // Its TTL lapses long before its end: the expiry sweep deletes it.
    const gone = entries.deleteDue(Date.now() + 86_400_000).map((e) => e.dn);
    expect(gone).toContain(dnOf('expiring'));
    expect(rows(expiring.id)).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM conference_groups').get()).toEqual({ n: 0 });
  });
});

describe('size classes written by another connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rendezvous-classes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are looked up by the next clash check of this one', () => {
    const options = { db: join(dir, 'r.db'), suffix: 'o=Intranet', ilsOpen: false, version: 't' };
    const first = openDirectory(options);
    const second = openDirectory(options);
    try {
      // The first checks clashes with the single addresses it knows of; the second then
      // writes a range of 16, a size class the first has not seen.
      addConference(first.directory, 'single', ['IP4 239.10.0.1/15'], [1, 2]);
      addConference(second.directory, 'range', ['IP4 239.10.1.0/15/16'], [1, 2]);
      expect(clashHolders(addConference(first.directory, 'inRange', ['IP4 239.10.1.9/15'], [1, 2]))).toEqual([dnOf('range')]);
    } finally {
      first.db.close();
      second.db.close();
    }
  });
});

describe('a database from before the group table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rendezvous-groups-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gets its groups backfilled once, at startup', () => {
    const path = join(dir, 'r.db');
    const options = { db: path, suffix: 'o=Intranet', ilsOpen: false, version: 't' };
    const first = openDirectory(options);
    addConference(first.directory, 'a', ['IP4 239.9.9.9/15', 'IP4 239.9.9.20/15/4'], [1, 2]);
    addConference(first.directory, 'b', ['IP6 ff15::9'], [1, 2]);
    addConference(first.directory, 'unicast', ['IP4 192.0.2.1'], [1, 2]);
    const written = first.db.prepare('SELECT * FROM conference_groups ORDER BY entry_id, lo').all();
    expect(written).toHaveLength(3);
    // An older server stored every entry's attributes as JSON.
    const json = new Map((first.db.prepare('SELECT ndn FROM entries').pluck().all() as string[]).map((ndn) => [ndn, JSON.stringify(first.entries.get(ndn)!.attributes)]));
    first.db.close();

    // Undo migration 005 and those after it (they run again), as a database written by an
    // older server is.
    const raw = new Database(path);
    raw.exec("ALTER TABLE entries ADD COLUMN attributes TEXT NOT NULL DEFAULT ''");
    const setJson = raw.prepare('UPDATE entries SET attributes = ? WHERE ndn = ?');
    for (const [ndn, attributes] of json) setJson.run(attributes, ndn);
    raw.exec('ALTER TABLE entries DROP COLUMN encoded; ALTER TABLE entries DROP COLUMN sendable; DROP TRIGGER entries_index_delete');
    raw.exec('DROP TRIGGER entries_windows_delete; DROP TABLE conference_windows; DROP TABLE conference_window_classes; DROP TABLE conference_windows_copied');
    raw.exec('DROP INDEX accounts_by_key; ALTER TABLE accounts DROP COLUMN key');
    raw.exec('DROP TABLE changes; DROP TABLE sync_state; DROP INDEX entries_uuid; ALTER TABLE entries DROP COLUMN csn');
    raw.exec('DROP TRIGGER entries_groups_delete; DROP TABLE conference_groups; DROP TABLE pending_backfills; PRAGMA user_version = 4');
    raw.close();

    const second = openDirectory(options);
    expect(second.db.prepare('SELECT * FROM conference_groups ORDER BY entry_id, lo').all()).toEqual(written);
    expect(second.db.prepare('SELECT count(*) AS n FROM pending_backfills').get()).toEqual({ n: 0 });
    expect(clashHolders(addConference(second.directory, 'c', ['IP4 239.9.9.22/15'], [1, 2]))).toEqual([dnOf('a')]);
    // Once done, a restart does not parse the conferences again.
    second.db.exec("DELETE FROM conference_groups WHERE entry_id = (SELECT id FROM entries WHERE ndn LIKE 'uid=b,%')");
    second.db.close();
    const third = openDirectory(options);
    expect(third.db.prepare('SELECT count(*) AS n FROM conference_groups').get()).toEqual({ n: 3 });
    third.db.close();
  });
});
