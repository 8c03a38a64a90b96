/**
 * The change feed and content synchronisation in the directory itself (no wire): CSNs that
 * always grow, the change log written with every change (entryCSN, contextCSN, entryUUID),
 * its bound and what a cookie older than it gets, the refresh phase (refreshDelete with the
 * UUIDs of what went, a present phase otherwise, nothing for an unchanged directory), and the
 * persist cursor (an entry that stops matching is a delete, a change during the refresh
 * phase is not lost). Through the wire: test/ldap/live.test.ts and test/replication.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatCookie, parseCookie, parseFilter, SCANNING, type EntryView, type LiveChange, type LiveValues, type RefreshItem, type RefreshOutcome } from '../../src/directory/index.js';
import { CsnClock, isCsn } from '../../src/directory/sync/csn.js';
import { rmSync } from 'node:fs';
import { RING_SIZE, type ChangeFeed } from '../../src/directory/sync/feed.js';
import { openDirectory } from '../../src/server/index.js';
import { admin, attributes, change, DYNAMIC, openTestDirectory, person, read, SUFFIX, viewAttributes, type TestDirectory } from './helpers.js';

let t: TestDirectory;
afterEach(() => t?.close());

const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

const query = (filter = '(objectClass=rtPerson)', base = DYNAMIC, values: LiveValues = 'replicable') =>
  t.directory.liveQuery({ base, scope: 'sub', filter: parseFilter(filter), attributes: ['*', '+'], typesOnly: false }, values);

/** Runs a refresh phase to its end: what it sent, and its outcome. */
function refresh(cookieCsn: string | undefined, filter?: string): { items: RefreshItem[]; outcome: RefreshOutcome } {
  const run = t.directory.syncRefresh(admin, query(filter), cookieCsn, 1000);
  const items: RefreshItem[] = [];
  for (;;) {
    const next = run.next();
    if (next.done) return { items, outcome: next.value };
    if (next.value !== SCANNING) items.push(next.value);
  }
}

const names = (items: RefreshItem[]): string[] => items.flatMap((i) => (i.type === 'entry' ? [`${i.state} ${i.view.dn}`] : i.uuids.map((u) => `deleted ${u}`)));
const uuidOf = (dn: string): string => read(t.directory, dn, ['entryUUID'])!.get('entryuuid')![0]!;
const csnOf = (dn: string): string => read(t.directory, dn, ['entryCSN'])!.get('entrycsn')![0]!;
const contextCsn = (): string => read(t.directory, SUFFIX, ['contextCSN'])!.get('contextcsn')![0]!;

describe('CSNs', () => {
  it('are written as OpenLDAP writes them and always grow, within a millisecond and when the clock steps back', () => {
    const clock = new CsnClock('20300101000000.000000Z#000000#000#000000');
    const at = Date.UTC(2030, 0, 1, 12, 0, 0, 123);
    const made = [clock.next(at), clock.next(at), clock.next(at - 60_000), clock.next(at + 1)];
    expect(made[0]).toBe('20300101120000.123000Z#000000#000#000000');
    expect(made[1]).toBe('20300101120000.123000Z#000001#000#000000');
    expect(made[2]).toBe('20300101120000.123000Z#000002#000#000000');
    expect(made[3]).toBe('20300101120000.124000Z#000000#000#000000');
    expect(made.every(isCsn)).toBe(true);
    expect([...made].sort()).toEqual(made);
  });

  it('move the time on by a microsecond when a counter is full', () => {
    const clock = new CsnClock('20300101120000.123000Z#ffffff#000#000000');
    expect(clock.next(Date.UTC(2030, 0, 1, 11))).toBe('20300101120000.123001Z#000000#000#000000');
  });
});

describe('cookies', () => {
  it('are read and written as OpenLDAP writes them, our CSN picked out of several, garbage read as no position', () => {
    expect(parseCookie('rid=001,csn=20300101120000.123000Z#000000#000#000000')).toEqual({ rid: '001', csn: '20300101120000.123000Z#000000#000#000000' });
    expect(parseCookie('rid=2,sid=001,csn=20300101120000.123000Z#000000#001#000000;20300101110000.000000Z#000000#000#000000').csn).toBe('20300101110000.000000Z#000000#000#000000');
    expect(parseCookie('not a cookie')).toEqual({});
    expect(parseCookie('rid=001,csn=yesterday')).toEqual({ rid: '001' });
    expect(formatCookie('20300101120000.123000Z#000000#000#000000', '7')).toBe('rid=007,csn=20300101120000.123000Z#000000#000#000000');
  });
});

describe('the change log', () => {
  it('records every change in its transaction, and the entry carries the change\'s CSN; the suffix the newest', async () => {
    t = openTestDirectory();
    const dn = `cn=Ann,${DYNAMIC}`;
    t.directory.add(admin, dn, person('Ann'));
    const added = csnOf(dn);
    expect(isCsn(added)).toBe(true);
    expect(contextCsn()).toBe(added);
    t.clock.now += 10;
    t.directory.modify(admin, dn, [change('replace', 'comment', 'hello')]);
    const modified = csnOf(dn);
    expect(modified > added).toBe(true);
    // The row is written with the CSN its change is logged with, the newest.
    expect(contextCsn()).toBe(modified);
    t.clock.now += 10;
    t.directory.refresh(admin, dn, 600);
    expect(csnOf(dn) > modified).toBe(true);
    expect(contextCsn()).toBe(csnOf(dn));
    const uuid = uuidOf(dn);
    t.directory.delete(admin, dn);
    const rows = t.db.prepare('SELECT kind, uuid, dn, before IS NOT NULL AS before FROM changes WHERE uuid = ? ORDER BY seq').all(uuid);
    expect(rows).toEqual([
      { kind: 1, uuid, dn, before: 0 },
      { kind: 2, uuid, dn, before: 1 },
      { kind: 2, uuid, dn, before: 0 },
      { kind: 3, uuid, dn, before: 1 },
    ]);
    // A failed write records nothing.
    expect(() => t.directory.delete(admin, dn)).toThrow();
    expect((t.db.prepare('SELECT count(*) AS n FROM changes WHERE uuid = ?').get(uuid) as { n: number }).n).toBe(4);
    await settle();
    expect(t.directory.changes.head()).toBe(t.directory.logPosition().seq);
  });

  it('records expiry as deletes, marked expired', async () => {
    t = openTestDirectory();
    t.directory.add(admin, `cn=Ann,${DYNAMIC}`, person('Ann'));
    t.clock.now += 3_600_000;
    t.directory.startExpiry();
    expect(t.db.prepare("SELECT kind, expired FROM changes WHERE dn = 'cn=Ann,ou=dynamic,o=Intranet' ORDER BY seq DESC LIMIT 1").get()).toEqual({ kind: 3, expired: 1 });
  });

  it('is cut to its bounds, keeping the newest, and remembers what it forgot', async () => {
    t = openTestDirectory();
    for (let i = 0; i < 10; i += 1) t.directory.add(admin, `cn=P${i},${DYNAMIC}`, person(`P${i}`));
    const before = t.directory.logPosition();
    expect(t.directory.purgeChanges(3, 3_600_000)).toBeGreaterThan(0);
    expect((t.db.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n).toBe(3);
    expect(t.directory.logPosition()).toEqual(before);
    t.clock.now += 7_200_000;
    t.directory.purgeChanges(1000, 3_600_000);
    expect((t.db.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n).toBe(1);
    expect(contextCsn()).toBe(before.csn);
  });

  it('gives the entries of a database from before it a CSN at migration', () => {
    const path = `/tmp/rendezvous-sync-migration-${process.pid}.db`;
    const old = openDirectory({ db: path, suffix: SUFFIX, ilsOpen: false, version: 'test' });
    old.directory.add(admin, `cn=Old,${DYNAMIC}`, attributes({ objectClass: ['rtPerson'], cn: 'Old' }));
    old.directory.close();
    old.db.exec('DROP TABLE changes; DROP TABLE sync_state; DROP INDEX entries_uuid; ALTER TABLE entries DROP COLUMN csn; PRAGMA user_version = 11');
    old.db.close();
    const reopened = openDirectory({ db: path, suffix: SUFFIX, ilsOpen: false, version: 'test' });
    try {
      const csns = reopened.db.prepare('SELECT DISTINCT csn FROM entries').pluck().all() as string[];
      expect(csns).toHaveLength(1);
      expect(isCsn(csns[0]!)).toBe(true);
      expect(reopened.db.prepare('SELECT purged_csn FROM sync_state').pluck().get()).toBe(csns[0]);
    } finally {
      reopened.directory.close();
      reopened.db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
  });
});

describe('the refresh phase', () => {
  it('without a cookie sends every matching entry as an add, then says the client has the whole content (present)', () => {
    t = openTestDirectory();
    t.directory.add(admin, `cn=Ann,${DYNAMIC}`, person('Ann'));
    t.directory.add(admin, `cn=Bob,${DYNAMIC}`, person('Bob'));
    const { items, outcome } = refresh(undefined);
    expect(names(items).sort()).toEqual([`add cn=Ann,${DYNAMIC}`, `add cn=Bob,${DYNAMIC}`]);
    expect(outcome.refreshDeletes).toBe(false);
    expect(outcome.csn).toBe(contextCsn());
  });

  it('with a cookie the log covers sends what changed as adds and what went as UUIDs; an unchanged directory sends nothing', () => {
    t = openTestDirectory();
    for (const n of ['Ann', 'Bob', 'Cy']) t.directory.add(admin, `cn=${n},${DYNAMIC}`, person(n));
    const first = refresh(undefined).outcome;
    const unchanged = refresh(first.csn);
    expect(unchanged.items).toEqual([]);
    expect(unchanged.outcome.refreshDeletes).toBe(true);
    expect(unchanged.outcome.csn).toBe(first.csn);

    const bob = uuidOf(`cn=Bob,${DYNAMIC}`);
    const cy = uuidOf(`cn=Cy,${DYNAMIC}`);
    t.clock.now += 5;
    t.directory.modify(admin, `cn=Ann,${DYNAMIC}`, [change('replace', 'comment', 'changed')]);
    t.directory.delete(admin, `cn=Bob,${DYNAMIC}`);
    // Cy stops matching the filter: a delete for this client.
    t.directory.modify(admin, `cn=Cy,${DYNAMIC}`, [change('replace', 'comment', 'hidden')]);
    t.directory.add(admin, `cn=Dee,${DYNAMIC}`, person('Dee'));
    const { items, outcome } = refresh(first.csn, '(&(objectClass=rtPerson)(!(comment=hidden)))');
    expect(outcome.refreshDeletes).toBe(true);
    expect(names(items).sort()).toEqual([`add cn=Ann,${DYNAMIC}`, `add cn=Dee,${DYNAMIC}`, `deleted ${bob}`, `deleted ${cy}`].sort());
  });

  it('with a cookie older than the log sends every entry, unchanged ones as present, and no partial set', () => {
    t = openTestDirectory();
    for (const n of ['Ann', 'Bob']) t.directory.add(admin, `cn=${n},${DYNAMIC}`, person(n));
    const first = refresh(undefined).outcome;
    t.clock.now += 5;
    t.directory.modify(admin, `cn=Ann,${DYNAMIC}`, [change('replace', 'comment', 'changed')]);
    for (let i = 0; i < 5; i += 1) t.directory.add(admin, `cn=X${i},${DYNAMIC}`, person(`X${i}`));
    t.directory.delete(admin, `cn=X0,${DYNAMIC}`);
    t.directory.purgeChanges(2, 3_600_000);
    const { items, outcome } = refresh(first.csn);
    expect(outcome.refreshDeletes).toBe(false);
    const sent = names(items);
    expect(sent).toContain(`present cn=Bob,${DYNAMIC}`);
    expect(sent).toContain(`add cn=Ann,${DYNAMIC}`);
    expect(sent.filter((s) => s.startsWith('add cn=X'))).toHaveLength(4);
    expect(sent).toHaveLength(6);
    // A present entry carries its name only.
    const bob = items.find((i) => i.type === 'entry' && i.state === 'present')!;
    expect(bob.type === 'entry' && bob.view.attributes).toEqual([]);
  });
});

describe('what a content sync sends of an entry', () => {
  /** The values of `c` a live query of `values` sends of `dn`, in its refresh phase and as the entry's last change (the persist phase), for an attribute list. */
  function countries(dn: string, values: LiveValues, list: string[]): { refresh: string[] | undefined; persist: string[] | undefined } {
    const q = t.directory.liveQuery({ base: dn, scope: 'base', filter: parseFilter('(objectClass=*)'), attributes: list, typesOnly: false }, values);
    const c = (view: EntryView): string[] | undefined => viewAttributes(view).find((a) => a.name.toLowerCase() === 'c')?.values;
    const run = t.directory.syncRefresh(admin, q, undefined, 1000);
    let refresh: string[] | undefined;
    for (let next = run.next(); !next.done; next = run.next()) if (next.value !== SCANNING && next.value.type === 'entry') refresh = c(next.value.view);
    const changes = t.directory.liveCursor(q, 0, '').read(1000);
    if (changes === 'expired') throw new Error('the log forgot the changes');
    const last = changes.filter((change) => change.record.dn === dn).at(-1);
    return { refresh, persist: last?.entry ? c(q.view(last.entry)) : undefined };
  }

  it("leaves out a value a replica refuses by its syntax (NetMeeting's c: -), keeps a valid one; a persistent search's query sends what is stored", async () => {
    t = openTestDirectory();
    t.directory.add(admin, `cn=Ann,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'Ann', c: '-', comment: 'NetMeeting' }));
    t.directory.add(admin, `cn=Bob,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'Bob', c: 'DE' }));
    await settle();
    // All user attributes (sent from the stored encoding), a list of names, and all of both kinds.
    for (const list of [['*'], ['c', 'comment'], ['*', '+']]) {
      expect(countries(`cn=Ann,${DYNAMIC}`, 'replicable', list), list.join()).toEqual({ refresh: undefined, persist: undefined });
      expect(countries(`cn=Bob,${DYNAMIC}`, 'replicable', list), list.join()).toEqual({ refresh: ['DE'], persist: ['DE'] });
      expect(countries(`cn=Ann,${DYNAMIC}`, 'stored', list), list.join()).toEqual({ refresh: ['-'], persist: ['-'] });
    }
    // The rest of the entry is sent; a search reads what is stored.
    const q = t.directory.liveQuery({ base: `cn=Ann,${DYNAMIC}`, scope: 'base', filter: parseFilter('(c=-)'), attributes: ['*'], typesOnly: false }, 'replicable');
    const [item] = [...t.directory.syncRefresh(admin, q, undefined, 1000)].filter((i) => i !== SCANNING);
    expect(item?.type === 'entry' && viewAttributes(item.view).find((a) => a.name === 'comment')?.values).toEqual(['NetMeeting']);
    expect(read(t.directory, `cn=Ann,${DYNAMIC}`)?.get('c')).toEqual(['-']);
  });
});

describe('the persist phase', () => {
  it('sends each change after the refresh, a change made during the refresh too, and an entry that stops matching as a delete', async () => {
    t = openTestDirectory();
    t.directory.add(admin, `cn=Ann,${DYNAMIC}`, person('Ann'));
    const q = query('(&(objectClass=rtPerson)(!(comment=hidden)))');
    const run = t.directory.syncRefresh(admin, q, undefined, 1000);
    let next = run.next();
    // A change committed after the refresh took its position, while it reads.
    t.directory.add(admin, `cn=During,${DYNAMIC}`, person('During'));
    while (!next.done) next = run.next();
    const cursor = t.directory.liveCursor(q, next.value.seq, next.value.csn);
    t.clock.now += 5;
    t.directory.modify(admin, `cn=Ann,${DYNAMIC}`, [change('replace', 'comment', 'visible')]);
    t.directory.modify(admin, `cn=Ann,${DYNAMIC}`, [change('replace', 'comment', 'hidden')]);
    t.directory.add(admin, `ou=Other,${SUFFIX}`, attributes({ objectClass: ["organizationalUnit"], ou: "Other" }));
    t.directory.delete(admin, `cn=During,${DYNAMIC}`);
    await settle();
    const changes = cursor.read(100);
    expect(changes).not.toBe('expired');
    const seen = (changes as LiveChange[]).map((c) => `${c.kind} ${c.record.dn}`);
    expect(seen).toEqual([`add cn=During,${DYNAMIC}`, `modify cn=Ann,${DYNAMIC}`, `delete cn=Ann,${DYNAMIC}`, `delete cn=During,${DYNAMIC}`]);
    expect(cursor.behind).toBe(0);
    // Forgotten by the log before it was read: the reader may still get what this process
    // holds in memory, but where that ends it must start again, never skip a change.
    const late = t.directory.liveCursor(q, 1, "");
    for (let i = 0; i < RING_SIZE + 10; i += 1) t.directory.add(admin, `cn=L${i},${DYNAMIC}`, person(`L${i}`));
    t.directory.purgeChanges(2, 3_600_000);
    await settle();
    let outcome: LiveChange[] | 'expired' = [];
    for (let reads = 0; reads < 10 && outcome !== 'expired'; reads += 1) {
      outcome = late.read(100);
    }
    expect(outcome).toBe('expired');
    // What it read before that was contiguous from its position: no change was skipped.
    expect(late.seq).toBeLessThan(RING_SIZE);
  });

  it('judges the changes once for the searches of one question at one position, each moving on by itself', async () => {
    t = openTestDirectory();
    t.directory.add(admin, `cn=Ann,${DYNAMIC}`, person('Ann'));
    await settle();
    const start = t.directory.logPosition();
    const same = [query(), query(), query()].map((q) => t.directory.liveCursor(q, start.seq, start.csn));
    const other = t.directory.liveCursor(query('(cn=Bob)'), start.seq, start.csn);
    t.directory.add(admin, `cn=Bob,${DYNAMIC}`, person('Bob'));
    t.directory.add(admin, `ou=Other,${SUFFIX}`, attributes({ objectClass: ['organizationalUnit'], ou: 'Other' }));
    await settle();
    const reads = same.map((c) => c.read(100));
    // One array for all three (judged once), the position of each moved past both changes.
    expect(reads[1]).toBe(reads[0]);
    expect(reads[2]).toBe(reads[0]);
    expect((reads[0] as LiveChange[]).map((c) => `${c.kind} ${c.record.dn}`)).toEqual([`add cn=Bob,${DYNAMIC}`]);
    for (const c of same) expect(c.behind).toBe(0);
    // Another question gets its own answer.
    const bob = other.read(100);
    expect(bob).not.toBe(reads[0]);
    expect((bob as LiveChange[]).map((c) => `${c.kind} ${c.record.dn}`)).toEqual([`add cn=Bob,${DYNAMIC}`]);
    // A reader asking for fewer than the first reader read reads its own, and moves on by that many.
    const small = t.directory.liveCursor(query(), start.seq, start.csn);
    expect(small.read(1)).toEqual([expect.objectContaining({ kind: 'add' })]);
    expect(small.behind).toBe(1);
    // Once the head moves, a reader at a position already read from sees what came since.
    const behind = t.directory.liveCursor(query(), start.seq, start.csn);
    t.directory.modify(admin, `cn=Ann,${DYNAMIC}`, [change('replace', 'comment', 'later')]);
    await settle();
    const later: LiveChange[] = [];
    for (let n = 0; n < 5 && behind.behind > 0; n += 1) later.push(...(behind.read(100) as LiveChange[]));
    expect(later.map((c) => `${c.kind} ${c.record.dn}`)).toEqual([`add cn=Bob,${DYNAMIC}`, `modify cn=Ann,${DYNAMIC}`]);
    expect(same[0]!.read(100)).toEqual([expect.objectContaining({ kind: 'modify' })]);
  });

  it('shares each change among live searches far apart (more than the ring\'s size), and holds them only until read', async () => {
    t = openTestDirectory();
    await settle();
    const start = t.directory.logPosition();
    const [ahead, behind] = [query(), query()].map((q) => t.directory.liveCursor(q, start.seq, start.csn));
    for (let i = 0; i < RING_SIZE * 2 + 10; i += 1) t.directory.add(admin, `cn=S${i},${DYNAMIC}`, person(`S${i}`));
    await settle();
    const readAll = (cursor: NonNullable<typeof ahead>): LiveChange[] => {
      const seen: LiveChange[] = [];
      while (cursor.behind > 0) {
        const changes = cursor.read(256);
        expect(changes).not.toBe('expired');
        seen.push(...(changes as LiveChange[]));
      }
      return seen;
    };
    const first = readAll(ahead!);
    const second = readAll(behind!);
    expect(second).toHaveLength(RING_SIZE * 2 + 10);
    // The same change objects: judged once, the entry read once, for both.
    for (let i = 0; i < second.length; i += 1) expect(second[i]).toBe(first[i]);
    const feed = t.directory.changes as ChangeFeed;
    expect(feed.held.changes).toBeGreaterThan(RING_SIZE * 2);
    // Both done and closed: the next read past the ring's end lets the read changes go.
    ahead!.close();
    behind!.close();
    const next = t.directory.liveCursor(query(), t.directory.logPosition().seq, '');
    t.directory.add(admin, `cn=Next,${DYNAMIC}`, person('Next'));
    await settle();
    expect(readAll(next)).toHaveLength(1);
    expect(feed.held.changes).toBe(RING_SIZE);
  });

  it('reads on to a position far past what the feed holds in memory (the log itself, while the ring fills from far behind)', async () => {
    t = openTestDirectory();
    // More changes than the ring holds, with no reader: the ring is still where it started.
    for (let i = 0; i < RING_SIZE * 2 + 10; i += 1) t.directory.add(admin, `cn=F${i},${DYNAMIC}`, person(`F${i}`));
    await settle();
    const near = t.directory.logPosition();
    const cursors = [query(), query()].map((q) => t.directory.liveCursor(q, near.seq, near.csn));
    t.directory.add(admin, `cn=Last,${DYNAMIC}`, person('Last'));
    await settle();
    for (const cursor of cursors) {
      const seen: LiveChange[] = [];
      for (let reads = 0; reads < 10 && cursor.behind > 0; reads += 1) {
        const changes = cursor.read(100);
        expect(changes).not.toBe('expired');
        seen.push(...(changes as LiveChange[]));
      }
      expect(seen.map((c) => `${c.kind} ${c.record.dn}`)).toEqual([`add cn=Last,${DYNAMIC}`]);
      expect(cursor.behind).toBe(0);
    }
  });
});
