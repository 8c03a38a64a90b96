/**
 * Dynamic entries (RFC 2589) against the directory in this process: the TTL policy, the
 * refresh operation, the ILS sTTL search term as a write of its own (the search only reads),
 * expiry deleting on the deadline a refresh set, and every entry change heard inside the
 * transaction that makes it (where the change feed records it).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseFilter, ResultCode, type DirectoryTree } from '../../src/directory/index.js';
import { admin, alice, APPLICATIONS, attributes, bob, change, DYNAMIC, entryTtl, openTestDirectory, person, read, refusal, type TestDirectory } from './helpers.js';

let t: TestDirectory;
afterEach(() => {
  t.close();
  vi.useRealTimers();
});

/** Lets the write batch (setImmediate) commit, and what waits on it run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

const sttlSearch = (filter: string, afterId?: number) => ({ base: DYNAMIC, scope: 'one' as const, filter: parseFilter(filter), ...(afterId === undefined ? {} : { afterId }) });
const searchAll = (directory: DirectoryTree, filter: string): number =>
  [...directory.search(alice, { ...sttlSearch(filter), attributes: ['entryTTL'], typesOnly: false })].length;
const stored = (dn: string): number => (t.db.prepare('SELECT count(*) AS n FROM entries WHERE dn = ?').get(dn) as { n: number }).n;

describe('the TTL policy', () => {
  it('gives a new dynamic entry the default TTL, which counts down; past it the entry is gone from every read', () => {
    t = openTestDirectory({ ttl: { defaultTtl: 300, minTtl: 60, maxTtl: 3600 } });
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann'));
    expect(entryTtl(t.directory, `cn=Ann,${DYNAMIC}`)).toBe(300);
    t.clock.now += 100_500;
    expect(entryTtl(t.directory, `cn=Ann,${DYNAMIC}`)).toBe(200);
    t.clock.now += 199_500;
    expect(read(t.directory, `cn=Ann,${DYNAMIC}`)).toBeUndefined();
    expect(searchAll(t.directory, '(cn=Ann)')).toBe(0);
    // Still stored: expiry (not started here) deletes it.
    expect(stored(`cn=Ann,${DYNAMIC}`)).toBe(1);
  });

  it('raises a refresh below the minimum, refuses one above the maximum or outside RFC 2589', () => {
    t = openTestDirectory({ ttl: { defaultTtl: 300, minTtl: 60, maxTtl: 3600 } });
    const ann = `cn=Ann,${DYNAMIC}`;
    t.directory.add(alice, ann, person('Ann'));
    expect(t.directory.refresh(alice, ann, 10)).toBe(60);
    expect(entryTtl(t.directory, ann)).toBe(60);
    expect(t.directory.refresh(alice, ann, 3600)).toBe(3600);
    expect(refusal(() => t.directory.refresh(alice, ann, 3601))).toBe(ResultCode.sizeLimitExceeded);
    expect(refusal(() => t.directory.refresh(alice, ann, 0))).toBe(ResultCode.protocolError);
    expect(refusal(() => t.directory.refresh(alice, ann, 31_557_601))).toBe(ResultCode.protocolError);
    expect(refusal(() => t.directory.refresh(alice, DYNAMIC, 600))).toBe(ResultCode.objectClassViolation);
    expect(refusal(() => t.directory.refresh(alice, `cn=Nobody,${DYNAMIC}`, 600))).toBe(ResultCode.noSuchObject);
  });
});

describe('the ILS sTTL term', () => {
  it('is not refreshed by the search, which writes nothing', () => {
    t = openTestDirectory();
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann'));
    const changes = (): number => (t.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    expect(searchAll(t.directory, '(&(cn=Ann)(sttl=40))')).toBe(1);
    expect(changes()).toBe(before);
    expect(entryTtl(t.directory, `cn=Ann,${DYNAMIC}`)).toBe(1800);
  });

  it("is a write of its own, through the writer: the identity's dynamic entries the search matches get N minutes", async () => {
    t = openTestDirectory();
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann'));
    t.directory.add(bob, `cn=Bo,${DYNAMIC}`, person('Bo'));
    t.directory.add(alice, `cn=Static,${DYNAMIC}`, attributes({ objectClass: 'rtPerson', cn: 'Static' }));
    const refresh = t.directory.sttlRefresh(sttlSearch('(&(objectClass=rtPerson)(sttl=40))'));
    expect(refresh).toMatchObject({ base: DYNAMIC, ttl: 2400 });
    expect(await t.writer.write({ op: 'sttl', identity: alice, refresh: refresh! })).toBe(1);
    expect(entryTtl(t.directory, `cn=Ann,${DYNAMIC}`)).toBe(2400);
    expect(entryTtl(t.directory, `cn=Bo,${DYNAMIC}`)).toBe(1800);
    expect(entryTtl(t.directory, `cn=Static,${DYNAMIC}`)).toBeUndefined();
    expect(await t.writer.write({ op: 'sttl', identity: admin, refresh: refresh! })).toBe(2);
    expect(entryTtl(t.directory, `cn=Bo,${DYNAMIC}`)).toBe(2400);
  });

  it('asks for nothing without the term or on the later pages of a paged search, and refuses a bad N before anything is written', () => {
    t = openTestDirectory({ ttl: { defaultTtl: 1800, minTtl: 60, maxTtl: 3600 } });
    expect(t.directory.sttlRefresh(sttlSearch('(cn=Ann)'))).toBeUndefined();
    expect(t.directory.sttlRefresh(sttlSearch('(&(cn=Ann)(sttl=10))', 7))).toBeUndefined();
    expect(t.directory.sttlRefresh(sttlSearch('(sttl=10)'))).toMatchObject({ ttl: 600 });
    expect(refusal(() => t.directory.sttlRefresh(sttlSearch('(&(cn=Ann)(sttl=soon))')))).toBe(ResultCode.protocolError);
    expect(refusal(() => t.directory.sttlRefresh(sttlSearch('(&(cn=Ann)(sttl=0))')))).toBe(ResultCode.protocolError);
    expect(refusal(() => t.directory.sttlRefresh(sttlSearch('(&(cn=Ann)(sttl=61))')))).toBe(ResultCode.sizeLimitExceeded);
  });
});

describe('expiry', () => {
  it('deletes an entry on the deadline a refresh set, earlier than the one it had, as an expired change', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = openTestDirectory();
    const ann = `cn=Ann,${DYNAMIC}`;
    await t.writer.write({ op: 'add', identity: alice, dn: ann, attributes: person('Ann') });
    const expired: string[] = [];
    t.directory.events.on('expired', (entry) => expired.push(entry.dn));
    t.directory.startExpiry();
    await settle();
    const refresh = t.directory.sttlRefresh(sttlSearch('(&(cn=Ann)(sttl=1))'))!;
    expect(await t.writer.write({ op: 'sttl', identity: alice, refresh })).toBe(1);
    const advance = async (ms: number): Promise<void> => {
      t.clock.now += ms;
      vi.advanceTimersByTime(ms);
      await settle();
    };
    await advance(59_000);
    expect(stored(ann)).toBe(1);
    await advance(2000);
    expect(stored(ann)).toBe(0);
    expect(expired).toEqual([ann]);
  });
});

describe("NetMeeting's application entry ([MS-TAIL] §3.5.3, §3.5.4)", () => {
  it('is written with the person, follows its application attributes, and expires with it (refreshed only through the person)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = openTestDirectory();
    const ann = `cn=ann@example.com,${DYNAMIC}`;
    const application = `cn=ann@example.com,appName=ms-netmeeting,${APPLICATIONS}`;
    const heard: string[] = [];
    for (const kind of ['added', 'modified', 'deleted', 'expired'] as const) t.directory.events.on(kind, (entry: { dn: string }) => heard.push(`${kind} ${entry.dn}`));
    await t.writer.write({ op: 'add', identity: alice, dn: ann, attributes: person('ann@example.com') });
    expect(read(t.directory, application)).toBeUndefined(); // no application named yet
    await t.writer.write({ op: 'modify', identity: alice, dn: ann, changes: [change('replace', 'sappid', 'ms-netmeeting'), change('replace', 'sprotid', 'H323')] });
    expect(read(t.directory, application)?.get('protocolid')).toEqual(['H323']);
    await t.writer.write({ op: 'modify', identity: alice, dn: ann, changes: [change('replace', 'sprotid', 'T120')] });
    expect(read(t.directory, application)?.get('protocolid')).toEqual(['T120']);
    expect(heard).toContain(`added ${application}`);
    expect(heard).toContain(`modified ${application}`);

    t.directory.startExpiry();
    await settle();
    const refresh = t.directory.sttlRefresh({ base: 'objectClass=rtPerson', scope: 'base', filter: parseFilter('(&(cn=ann@example.com)(sttl=60))') })!;
    expect(await t.writer.write({ op: 'sttl', identity: alice, refresh })).toBe(1);
    const advance = async (ms: number): Promise<void> => {
      t.clock.now += ms;
      vi.advanceTimersByTime(ms);
      await settle();
    };
    await advance(3_590_000); // past the 1800 s it was added with: the person was refreshed to an hour
    expect(read(t.directory, application)?.get('cn')).toEqual(['ann@example.com']);
    await advance(20_000);
    expect(stored(ann)).toBe(0);
    expect(stored(application)).toBe(0);
    expect(stored(`appName=ms-netmeeting,${APPLICATIONS}`)).toBe(0); // the container it was alone in
    expect(heard.slice(-3)).toEqual([`expired ${ann}`, `deleted ${application}`, `deleted appName=ms-netmeeting,${APPLICATIONS}`]);
  });

  it('moves when the person names another application, and is left alone when another owner holds its name', () => {
    t = openTestDirectory();
    const ann = `cn=ann@example.com,${DYNAMIC}`;
    const other = `cn=ann@example.com,appName=other,${APPLICATIONS}`;
    t.directory.add(bob, other, attributes({ objectClass: ['rtApplicationUser', 'dynamicObject'], cn: 'ann@example.com', sprotid: 'bob' }));
    t.directory.add(alice, ann, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'ann@example.com', sappid: 'ms-netmeeting' }));
    expect(read(t.directory, `cn=ann@example.com,appName=ms-netmeeting,${APPLICATIONS}`)?.get('applicationid')).toEqual(['ms-netmeeting']);
    t.directory.modify(alice, ann, [change('replace', 'sappid', 'other')]);
    expect(read(t.directory, `cn=ann@example.com,appName=ms-netmeeting,${APPLICATIONS}`)).toBeUndefined();
    expect(read(t.directory, other)?.get('protocolid')).toEqual(['bob']); // Bob's, untouched
    t.directory.delete(alice, ann);
    expect(read(t.directory, other)?.get('protocolid')).toEqual(['bob']);
  });
});

describe('every entry change', () => {
  it('is heard inside the write transaction that makes it, whichever way it is made', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = openTestDirectory({ ttl: { defaultTtl: 60, minTtl: 1, maxTtl: 3600 } });
    const heard: string[] = [];
    const listen = (kind: 'added' | 'modified' | 'deleted' | 'expired') =>
      t.directory.events.on(kind, (entry: { dn: string }) => heard.push(`${kind} ${entry.dn}${t.db.inTransaction ? '' : ' OUTSIDE A TRANSACTION'}`));
    for (const kind of ['added', 'modified', 'deleted', 'expired'] as const) listen(kind);
    const [ann, app, bo] = [`cn=Ann,${DYNAMIC}`, `appName=app,${APPLICATIONS}`, `cn=Bo,appName=app,${APPLICATIONS}`];

    // Called directly (each its own transaction) and through the writer (group-committed).
    t.directory.add(alice, ann, person('Ann'));
    await t.writer.write({ op: 'add', identity: alice, dn: bo, attributes: person('Bo') });
    t.directory.modify(alice, ann, [change('replace', 'sn', 'A')]);
    await t.writer.write({ op: 'modify', identity: alice, dn: ann, changes: [change('replace', 'entryTTL', '30')] });
    await t.writer.write({ op: 'refresh', identity: alice, dn: ann, ttl: 40 });
    await t.writer.write({ op: 'sttl', identity: alice, refresh: t.directory.sttlRefresh(sttlSearch('(&(cn=Ann)(sttl=1))'))! });
    t.directory.delete(alice, ann);
    t.directory.startExpiry();
    t.clock.now += 61_000;
    vi.advanceTimersByTime(61_000);
    await settle();

    expect(heard).toEqual([
      `added ${ann}`,
      `added ${app}`,
      `added ${bo}`,
      `modified ${ann}`,
      `modified ${ann}`,
      `modified ${ann}`,
      `modified ${ann}`,
      `deleted ${ann}`,
      `expired ${bo}`,
      // The application container goes with the last entry below it.
      `deleted ${app}`,
    ]);
  });
});
