/**
 * Live updates through the wire with the clients people use: ldapsearch's RFC 4533 sync
 * (`-E '!sync=ro'`, `-E '!sync=rp'` with and without a cookie), persistent search
 * (`-E '!ps=15/1/1'`) and Active Directory's change notification
 * (`-E '!1.2.840.113556.1.4.528'`), python-ldap's `ldap.syncrepl.SyncreplConsumer` and
 * ldap3's `persistent_search`; and the cases the field gets wrong: a change or a delete made during
 * the refresh phase, an unchanged directory (refreshDelete and no entries), an idle client's
 * cookie, a watcher on one worker process and writes through another.
 *
 * Clients that run until killed are read as they print (test/helpers/live-process.ts) and
 * every wait has a deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapadd, ldapdelete, ldapmodify, ldapsearch, ldifAdd, ldifDelete, ldifModify, type Bind } from '../helpers/ldap-tools.js';
import { clientView, startLiveSearch, type LiveEvent, type LiveSearchOptions } from '../helpers/live-ldapsearch.js';
import { startLiveProcess, type LiveProcess } from '../helpers/live-process.js';
import { PYTHON } from '../helpers/python.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';

const SUFFIX = 'o=Intranet';
const DYNAMIC = `ou=dynamic,${SUFFIX}`;
const APPS = `ou=applications,${SUFFIX}`;
const alice: Bind = { dn: accountDn('alice'), password: 'alice-pw' };
const accounts = [{ name: 'alice', password: alice.password }];
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const person = (cn: string, comment = 'v1'): string => ldifAdd(`cn=${cn},${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn, comment });
const setComment = (cn: string, comment: string): string => ldifModify(`cn=${cn},${DYNAMIC}`, [{ op: 'replace', attr: 'comment', values: [comment] }]);

async function write(server: TestServer, kind: 'add' | 'modify', ldif: string): Promise<void> {
  const r = kind === 'add' ? await ldapadd(server.url, ldif, { auth: alice }) : await ldapmodify(server.url, ldif, { auth: alice });
  expect(r.code, explain(r)).toBe(0);
}

type EntryEvent = Extract<LiveEvent, { kind: 'entry' }>;
const entries = (events: readonly LiveEvent[]): EntryEvent[] => events.filter((e): e is EntryEvent => e.kind === 'entry');
const doneOf = (events: readonly LiveEvent[]): Extract<LiveEvent, { kind: 'done' }> => {
  const done = events.find((e) => e.kind === 'done');
  if (done?.kind !== 'done') throw new Error(`no Sync Done in ${JSON.stringify(events)}`);
  return done;
};
const persistAt = (events: readonly LiveEvent[]): number => events.findIndex((e) => e.kind === 'persist');
/** The refreshAndPersist switch: the Sync Info that ends the refresh phase, with its cookie. */
const switchInfo = (events: readonly LiveEvent[]): Extract<LiveEvent, { kind: 'info' }> | undefined => {
  const at = persistAt(events);
  const info = at > 0 ? events[at - 1] : undefined;
  return info?.kind === 'info' ? info : undefined;
};

/** `ldapsearch -E '!sync=ro[/cookie]'`, run to its end. */
async function refreshOnly(server: TestServer, cookie?: string, options: Partial<LiveSearchOptions> = {}): Promise<LiveEvent[]> {
  const search = startLiveSearch(server.url, { base: SUFFIX, attrs: ['cn', 'comment'], ...options, control: cookie ? `!sync=ro/${cookie}` : '!sync=ro' });
  const code = await search.exited();
  expect(code, `${search.command}\n${search.stdout()}${search.stderr()}`).toBe(0);
  return search.events();
}

/** JSON lines a Python client printed so far. */
function jsonLines(out: string): Array<Record<string, unknown>> {
  // Whole lines only: the last piece may still be coming.
  return out
    .slice(0, out.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Makes changes to a probe entry until a client that prints only changes (a persistent
 * search with changesOnly) shows one: then its search is registered at the server.
 */
async function untilListening(server: TestServer, client: LiveProcess, seen: (out: string) => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let i = 0; !seen(client.stdout()); i += 1) {
    if (Date.now() > deadline || client.ended()) throw new Error(`${client.command} shows no change of the probe\n${client.stdout()}${client.stderr()}`);
    await write(server, 'modify', setComment('probe', `probe ${i}`));
    await sleep(200);
  }
}

describe('live updates through the wire', () => {
  let server: TestServer;
  const started: LiveProcess[] = [];
  const track = <T extends LiveProcess>(p: T): T => {
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startServer({ accounts, args: ['--ttl-min', '1'] });
    await write(server, 'add', ['probe', 'p1', 'p2', 'p3', 'p4', 'p5'].map((cn) => person(cn)).join('\n'));
  });
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await stopAllServers();
  });

  it("ldapsearch -E '!sync=ro': every entry with its entryUUID and a cookie; from the cookie only what changed; unchanged: refreshDelete, no entries", async () => {
    const first = await refreshOnly(server);
    const all = entries(first);
    expect(all.map((e) => e.dn)).toEqual(expect.arrayContaining([SUFFIX, DYNAMIC, APPS, `cn=p1,${DYNAMIC}`, `cn=p5,${DYNAMIC}`]));
    expect(all.every((e) => e.state === 'added' && /^[0-9a-f-]{36}$/.test(e.uuid ?? ''))).toBe(true);
    const read = await ldapsearch(server.url, { base: `cn=p2,${DYNAMIC}`, scope: 'base', attrs: ['entryUUID'] });
    const p2 = all.find((e) => e.dn === `cn=p2,${DYNAMIC}`)!;
    expect(p2.uuid).toBe(read.entries[0]?.one('entryUUID'));
    const firstDone = doneOf(first);
    expect(firstDone.refreshDeletes).toBe(false);
    expect(firstDone.cookie).toMatch(/^csn=\d{14}\.\d{6}Z#[0-9a-f]{6}#000#000000$/);

    await write(server, 'modify', setComment('p1', 'changed'));
    await write(server, 'add', person('p9'));
    expect((await ldapdelete(server.url, `cn=p2,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const second = await refreshOnly(server, firstDone.cookie);
    expect(entries(second).map((e) => e.dn).sort()).toEqual([`cn=p1,${DYNAMIC}`, `cn=p9,${DYNAMIC}`]);
    expect(entries(second).find((e) => e.dn === `cn=p1,${DYNAMIC}`)?.attrs.comment).toEqual(['changed']);
    const deleted = second.filter((e) => e.kind === 'info' && e.info === 'sync id set' && e.refreshDeletes).flatMap((e) => (e.kind === 'info' ? e.uuids : []));
    expect(deleted).toEqual([p2.uuid]);
    const secondDone = doneOf(second);
    expect(secondDone.refreshDeletes).toBe(true);
    expect(secondDone.cookie! > firstDone.cookie!).toBe(true);

    const third = await refreshOnly(server, secondDone.cookie);
    expect(entries(third)).toEqual([]);
    expect(third.filter((e) => e.kind === 'info')).toEqual([]);
    expect(doneOf(third)).toMatchObject({ refreshDeletes: true, cookie: secondDone.cookie });
  });

  it("ldapsearch -E '!sync=rp': the refresh, then each add, modify and delete as it happens, each with its cookie", async () => {
    const search = track(startLiveSearch(server.url, { base: DYNAMIC, attrs: ['cn', 'comment'], control: '!sync=rp' }));
    const refreshed = await search.waitForEvents((events) => persistAt(events) >= 0, 15_000, 'the switch to the persist stage');
    expect(entries(refreshed).map((e) => e.dn)).toEqual(expect.arrayContaining([DYNAMIC, `cn=p1,${DYNAMIC}`, `cn=p9,${DYNAMIC}`]));
    expect(switchInfo(refreshed)?.cookie).toMatch(/^csn=/);

    await write(server, 'add', person('live'));
    await write(server, 'modify', setComment('live', 'v2'));
    expect((await ldapdelete(server.url, `cn=live,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const events = await search.waitForEvents((all) => entries(all.slice(persistAt(all))).length >= 3, 15_000, 'three changes');
    const changes = entries(events.slice(persistAt(events)));
    expect(changes.map((e) => [e.dn, e.state])).toEqual([
      [`cn=live,${DYNAMIC}`, 'added'],
      [`cn=live,${DYNAMIC}`, 'modified'],
      [`cn=live,${DYNAMIC}`, 'deleted'],
    ]);
    expect(changes[1]?.attrs.comment).toEqual(['v2']);
    const cookies = changes.map((e) => e.cookie ?? '');
    expect(cookies.every((c) => c > switchInfo(refreshed)!.cookie!)).toBe(true);
    expect([...cookies].sort()).toEqual(cookies);
    await search.stop();
  });

  it("ldapsearch -E '!sync=rp/COOKIE': only what changed while it was away, then the persist stage", async () => {
    const before = doneOf(await refreshOnly(server, undefined, { base: DYNAMIC })).cookie!;
    await write(server, 'modify', setComment('p3', 'while away'));
    expect((await ldapdelete(server.url, `cn=p4,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const search = track(startLiveSearch(server.url, { base: DYNAMIC, attrs: ['cn', 'comment'], control: `!sync=rp/${before}` }));
    const refreshed = await search.waitForEvents((events) => persistAt(events) >= 0, 15_000, 'the switch to the persist stage');
    expect(entries(refreshed).map((e) => [e.dn, e.attrs.comment])).toEqual([[`cn=p3,${DYNAMIC}`, ['while away']]]);
    expect(refreshed.some((e) => e.kind === 'info' && e.info === 'sync id set' && e.refreshDeletes && e.uuids.length === 1)).toBe(true);
    expect(switchInfo(refreshed)?.info).toBe('refresh delete');
    await write(server, 'modify', setComment('p3', 'back'));
    const events = await search.waitForEvents((all) => entries(all.slice(persistAt(all))).length >= 1, 15_000, 'the change after the refresh');
    expect(entries(events.slice(persistAt(events)))[0]).toMatchObject({ dn: `cn=p3,${DYNAMIC}`, state: 'modified', attrs: { comment: ['back'] } });
    await search.stop();
  });

  it("ldapsearch -E '!ps=15/1/1': one Entry Change Notification per change, with its type", async () => {
    const search = track(startLiveSearch(server.url, { base: DYNAMIC, attrs: ['cn', 'comment'], control: '!ps=15/1/1' }));
    await untilListening(server, search, (out) => out.includes(`dn: cn=probe,${DYNAMIC}`));
    const from = entries(search.events()).length;
    await write(server, 'add', person('ps'));
    await write(server, 'modify', setComment('ps', 'v2'));
    expect((await ldapdelete(server.url, `cn=ps,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const events = await search.waitForEvents((all) => entries(all).slice(from).filter((e) => e.dn === `cn=ps,${DYNAMIC}`).length >= 3, 15_000, 'three notifications');
    expect(entries(events).slice(from).filter((e) => e.dn === `cn=ps,${DYNAMIC}`).map((e) => e.change)).toEqual(['add', 'modify', 'delete']);
    await search.stop();
  });

  it("ldapsearch -E '!1.2.840.113556.1.4.528' (Active Directory's change notification): the entry at each change, a deleted one marked isDeleted", async () => {
    const search = track(startLiveSearch(server.url, { base: DYNAMIC, scope: 'one', attrs: ['cn', 'comment', 'isDeleted'], control: '!1.2.840.113556.1.4.528' }));
    await untilListening(server, search, (out) => out.includes(`dn: cn=probe,${DYNAMIC}`));
    const from = entries(search.events()).length;
    await write(server, 'add', person('ad'));
    await write(server, 'modify', setComment('ad', 'v2'));
    expect((await ldapdelete(server.url, `cn=ad,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const ofAd = (all: readonly LiveEvent[]): EntryEvent[] => entries(all).slice(from).filter((e) => e.dn === `cn=ad,${DYNAMIC}`);
    const events = await search.waitForEvents((all) => ofAd(all).length >= 3, 15_000, 'three notifications');
    expect(ofAd(events).map((e) => e.attrs)).toEqual([
      { cn: ['ad'], comment: ['v1'] },
      { cn: ['ad'], comment: ['v2'] },
      { cn: ['ad'], comment: ['v2'], isdeleted: ['TRUE'] },
    ]);
    // Active Directory's way: no Entry Change Notification, no result until abandoned.
    expect(ofAd(events).every((e) => e.change === undefined)).toBe(true);
    expect(events.some((e) => e.kind === 'result')).toBe(false);
    await search.stop();
    // The control has no value: one with a value is refused, and nothing is left open.
    const valued = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', extensions: ['!1.2.840.113556.1.4.528=:abc'] });
    expect(valued.code, explain(valued)).toBe(2);
    expect(valued.stderr + valued.stdout).toMatch(/change notification control \(1\.2\.840\.113556\.1\.4\.528\) has no value/);
  });

  it("NetMeeting's c: -, which a replica refuses by its syntax: a content sync leaves it out, a plain search and a persistent search show it", async () => {
    const dn = `cn=nm-country,${DYNAMIC}`;
    await write(server, 'add', ldifAdd(dn, { objectClass: ['rtPerson', 'dynamicObject'], cn: 'nm-country', c: '-', comment: 'NetMeeting 3' }));
    const plain = await ldapsearch(server.url, { base: dn, scope: 'base' });
    expect(plain.entries[0]?.get('c')).toEqual(['-']);
    // All user attributes (sent from the stored encoding), and a list of names.
    for (const attrs of [[], ['c', 'comment']]) {
      const [synced] = entries(await refreshOnly(server, undefined, { base: dn, scope: 'base', attrs }));
      expect(synced?.dn).toBe(dn);
      expect(synced?.attrs.c, attrs.join()).toBeUndefined();
      expect(synced?.attrs.comment, attrs.join()).toEqual(['NetMeeting 3']);
    }
    const ps = track(startLiveSearch(server.url, { base: dn, scope: 'base', control: '!ps=15/0/1' }));
    const shown = await ps.waitForEvents((events) => entries(events).length > 0, 15_000, 'the entry');
    expect(entries(shown)[0]?.attrs.c).toEqual(['-']);
    await ps.stop();
  });

  it("python-ldap's SyncreplConsumer: refreshOnly, then refreshAndPersist from its cookie", async () => {
    const once = startLiveProcess(PYTHON, [`${FIXTURES}syncrepl_consumer.py`, server.url, alice.dn, alice.password, DYNAMIC, 'refreshOnly', '', '20']);
    await once.exited();
    const lines = jsonLines(once.stdout());
    expect(lines.at(-1), once.stdout() + once.stderr()).toMatchObject({ event: 'end', reason: 'search done' });
    expect(lines.filter((l) => l.event === 'entry').map((l) => l.dn)).toEqual(expect.arrayContaining([`cn=p1,${DYNAMIC}`, `cn=p3,${DYNAMIC}`]));
    const cookie = lines.at(-1)!.cookie as string;
    expect(cookie).toMatch(/csn=/);

    await write(server, 'modify', setComment('p5', 'python'));
    const live = track(startLiveProcess(PYTHON, [`${FIXTURES}syncrepl_consumer.py`, server.url, alice.dn, alice.password, DYNAMIC, 'refreshAndPersist', cookie, '30']));
    await live.waitFor((out) => jsonLines(out).some((l) => l.event === 'refreshdone'), 15_000, 'the end of the refresh');
    const refresh = jsonLines(live.stdout());
    expect(refresh.filter((l) => l.event === 'entry').map((l) => l.dn)).toEqual([`cn=p5,${DYNAMIC}`]);
    await write(server, 'add', person('py-live'));
    expect((await ldapdelete(server.url, `cn=py-live,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const after = await live.waitFor((out) => {
      const all = jsonLines(out);
      return all.some((l) => l.event === 'delete') ? all : undefined;
    }, 15_000, 'the add and the delete');
    const added = after.find((l) => l.event === 'entry' && l.dn === `cn=py-live,${DYNAMIC}`);
    expect(added).toBeDefined();
    expect(after.find((l) => l.event === 'delete')?.uuids).toEqual([added!.uuid]);
    await live.stop();
  });

  it("ldap3's persistent_search: a notification per change, with its change type", async () => {
    const search = track(startLiveProcess(PYTHON, [`${FIXTURES}persistent_search.py`, server.url, alice.dn, alice.password, DYNAMIC, '30']));
    await search.waitFor((out) => jsonLines(out).some((l) => l.event === 'started'), 15_000, 'the search');
    await untilListening(server, search, (out) => jsonLines(out).some((l) => l.event === 'change'));
    await write(server, 'add', person('ldap3'));
    await write(server, 'modify', setComment('ldap3', 'v2'));
    expect((await ldapdelete(server.url, `cn=ldap3,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    const changes = await search.waitFor((out) => {
      const mine = jsonLines(out).filter((l) => l.event === 'change' && l.dn === `cn=ldap3,${DYNAMIC}`);
      return mine.length >= 3 ? mine : undefined;
    }, 15_000, 'three notifications');
    expect(changes.map((c) => c.changeType)).toEqual(['add', 'modify', 'delete']);
    expect(jsonLines(search.stdout()).filter((l) => l.event === 'error')).toEqual([]);
    await search.stop();
  });

  it('a change and a delete made during the refresh phase reach the client', async () => {
    const bulk = Array.from({ length: 300 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    await write(server, 'add', bulk.map((cn) => person(cn)).join('\n'));
    // Writes that run while the client's refresh does: every entry modified, every sixth deleted.
    const changes = [...bulk].reverse().map((cn, i) => (i % 6 === 0 ? ldifDelete(`cn=${cn},${DYNAMIC}`) : setComment(cn, 'v2')));
    const writer = ldapmodify(server.url, changes.join('\n'), { auth: alice, timeoutMs: 120_000 });
    const search = track(startLiveSearch(server.url, { base: DYNAMIC, filter: '(cn=bulk-*)', attrs: ['cn', 'comment'], control: '!sync=rp' }));
    const written = await writer;
    expect(written.code, explain(written)).toBe(0);
    const expected = new Map((await ldapsearch(server.url, { base: DYNAMIC, filter: '(cn=bulk-*)', attrs: ['comment'] })).entries.map((e) => [e.dn, e.get('comment')]));
    expect(expected.size).toBe(250);
    const events = await search.waitForEvents(
      (all) => {
        if (persistAt(all) < 0) return false;
        const view = clientView(all);
        return view.size === expected.size && [...expected].every(([dn, comment]) => JSON.stringify(view.get(dn)?.comment) === JSON.stringify(comment));
      },
      30_000,
      'the client holding what the server holds',
    );
    // The writes overlapped the refresh: some came in the persist stage, after the refresh's position.
    expect(entries(events.slice(persistAt(events))).length, search.stdout().slice(-2000)).toBeGreaterThan(0);
    await search.stop();
  });

  it('with --workers 2, a watcher on one worker sees writes made through another', async () => {
    const workers = await startServer({ accounts, args: ['--workers', '2'] });
    try {
      await write(workers, 'add', person('probe'));
      const search = track(startLiveSearch(workers.url, { base: DYNAMIC, attrs: ['cn'], control: '!sync=rp' }));
      await search.waitForEvents((events) => persistAt(events) >= 0, 15_000, 'the switch to the persist stage');
      // Node's cluster hands connections to the workers in turn: of four writers on four
      // connections, two are served by the worker that does not hold the watcher.
      const names = ['w1', 'w2', 'w3', 'w4'];
      for (const cn of names) await write(workers, 'add', person(cn));
      const events = await search.waitForEvents((all) => names.every((cn) => entries(all).some((e) => e.dn === `cn=${cn},${DYNAMIC}` && e.state === 'added')), 15_000, 'all four adds');
      expect(entries(events.slice(persistAt(events))).map((e) => e.dn)).toEqual(names.map((cn) => `cn=${cn},${DYNAMIC}`));
      await search.stop();
    } finally {
      await workers.stop();
    }
  });
});

describe('an idle client (--sync-log 5)', () => {
  it('still gets a cookie it can resume from while changes it does not watch fill the log', async () => {
    const server = await startServer({ accounts, args: ['--sync-log', '5'] });
    try {
      const search = startLiveSearch(server.url, { base: APPS, attrs: ['1.1'], control: '!sync=rp' });
      const refreshed = await search.waitForEvents((events) => persistAt(events) >= 0, 15_000, 'the switch to the persist stage');
      const first = switchInfo(refreshed)!.cookie!;
      await write(server, 'add', Array.from({ length: 20 }, (_, i) => person(`elsewhere-${i}`)).join('\n'));
      const events = await search.waitForEvents((all) => all.some((e) => e.kind === 'info' && e.info === 'new cookie' && (e.cookie ?? '') > first), 15_000, 'a new cookie');
      const newest = events.filter((e) => e.kind === 'info' && e.info === 'new cookie').at(-1)!;
      await search.stop();
      const latest = newest.kind === 'info' ? newest.cookie! : '';
      // Once the log no longer holds the first cookie's position (purged every 10 s), the
      // first cookie means a full refresh, the newest still an empty refreshDelete.
      const deadline = Date.now() + 30_000;
      while (doneOf(await refreshOnly(server, first, { base: APPS, attrs: ['1.1'] })).refreshDeletes) {
        if (Date.now() > deadline) throw new Error(`the log still covers ${first} after 30 s (--sync-log 5)`);
        await sleep(500);
      }
      const resumed = await refreshOnly(server, latest, { base: APPS, attrs: ['1.1'] });
      expect(entries(resumed)).toEqual([]);
      expect(doneOf(resumed).refreshDeletes).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
