/**
 * `Directory.watch` over the wire (RFC 4533 refreshAndPersist, read by the library itself):
 * against OpenLDAP slapd with the syncprov overlay and against Rendezvous, the same cases:
 * the initial content, adds, modifies and deletes seen live, a filter, resuming from a
 * cookie, cancelling when the loop is left or the signal aborted. Against slapd without a
 * session log, a resume is a present phase; against slapd without syncprov, the critical
 * control is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Conference, Directory, DirectoryError, ResultCode, User, type WatchEvent } from '../../src/index.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls.js';
import { startOpenLdap, startRendezvous, type Target } from './targets.js';

const START = new Date('2030-05-06T07:00:00Z');
const STOP = new Date('2030-05-06T08:30:00Z');

/** Groups by conference name: each conference its own, so that no two clash (a clash changes both entries' multicastClash flag). */
const groups = new Map<string, string>();
const groupOf = (name: string): string => {
  if (!groups.has(name)) groups.set(name, `239.1.${2 + Math.floor(groups.size / 250)}.${(groups.size % 250) + 1}`);
  return groups.get(name)!;
};

function conference(name: string, description = 'a watched conference'): Conference {
  return Conference.create({ name, description, originator: 'alice', start: START, stop: STOP, address: groupOf(name), media: [{ type: 'audio', port: 5004, formats: ['0'] }] });
}

/** A watch read step by step, with a deadline on every wait, aborted at the end of the test. */
class Watcher {
  readonly events: WatchEvent[] = [];
  readonly controller = new AbortController();
  readonly #iterator: AsyncGenerator<WatchEvent>;

  constructor(directory: Directory, options: Parameters<Directory['watch']>[0] = {}) {
    this.#iterator = directory.watch({ ...options, signal: this.controller.signal });
  }

  /** Reads events until one satisfies `done`; returns those read by this call. */
  async until(done: (event: WatchEvent) => boolean, ms = 15_000, what = 'the event'): Promise<WatchEvent[]> {
    const read: WatchEvent[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))));
      const next = await Promise.race([this.#iterator.next(), timeout]);
      clearTimeout(timer);
      if (next === 'timeout') throw new Error(`timed out after ${ms} ms waiting for ${what}; read ${JSON.stringify(read.map(brief))}`);
      if (next.done) throw new Error(`the watch ended while waiting for ${what}; read ${JSON.stringify(read.map(brief))}`);
      read.push(next.value);
      this.events.push(next.value);
      if (done(next.value)) return read;
    }
  }

  /** Leaves the loop, as `break` does: resolves once the watch has cancelled and closed. */
  stop(): Promise<unknown> {
    return this.#iterator.return(undefined);
  }
}

/** An event in a few words, for assertions and failure messages. */
function brief(event: WatchEvent): string {
  switch (event.kind) {
    case 'added':
    case 'modified':
      return `${event.kind} ${event.type} ${event.object.name}`;
    case 'deleted':
      return `deleted ${event.name ?? event.dn ?? event.uuid}`;
    case 'present':
      return `present ${event.dn ?? event.uuid}`;
    case 'synced':
      return `synced${event.fullRefresh ? ' (full)' : ''}`;
    case 'cookie':
      return 'cookie';
  }
}

/** The conference an added or modified event carries. */
function conferenceOf(event: WatchEvent | undefined): Conference | undefined {
  return (event?.kind === 'added' || event?.kind === 'modified') && event.type === 'conference' ? event.object : undefined;
}

const named = (kind: string, name: string) => (event: WatchEvent): boolean => brief(event).startsWith(kind) && brief(event).endsWith(` ${name}`);
const isSynced = (event: WatchEvent): boolean => event.kind === 'synced';

const TARGETS: ReadonlyArray<readonly [string, () => Promise<Target>]> = [
  ['OpenLDAP slapd with syncprov', () => startOpenLdap({ dynamic: false, syncprov: { sessionlog: 100 }, logLevel: 'stats' })],
  ['Rendezvous', startRendezvous],
];

describe.each(TARGETS)('Directory.watch against %s', (_name, start) => {
  let target: Target;
  const opened: Directory[] = [];
  const watchers: Watcher[] = [];

  async function open(options: ConstructorParameters<typeof Directory>[0] = {}): Promise<Directory> {
    const d = await Directory.connect(target.url, options);
    opened.push(d);
    await d.bind(target.user.dn, target.user.password);
    return d;
  }

  function watch(directory: Directory, options: Parameters<Directory['watch']>[0] = {}): Watcher {
    const watcher = new Watcher(directory, options);
    watchers.push(watcher);
    return watcher;
  }

  beforeAll(async () => {
    target = await start();
  });
  afterAll(async () => {
    await target?.stop();
  });
  afterEach(async () => {
    for (const w of watchers.splice(0)) w.controller.abort();
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });

  it('reports the current content, then synced, then adds, modifies and deletes as they happen', async () => {
    const directory = await open();
    const first = conference('watch-initial-a');
    const user = new User({ name: 'watch-bob', ipAddresses: ['192.0.2.7'], email: 'bob@example.org' });
    await directory.add(first);
    await directory.add(conference('watch-initial-b'));
    await directory.add(user);

    const watcher = watch(directory);
    const initial = await watcher.until(isSynced, 15_000, 'the end of the initial content');
    const names = initial.filter((e) => e.kind === 'added').map(brief).sort();
    expect(names).toEqual(expect.arrayContaining(['added conference watch-initial-a', 'added conference watch-initial-b', 'added user watch-bob']));
    // Without a cookie, the server lists everything: a full refresh.
    expect(initial.at(-1)).toMatchObject({ kind: 'synced', fullRefresh: true });
    const a = initial.find(named('added', 'watch-initial-a'));
    expect(conferenceOf(a)?.startTime).toEqual(START);
    expect(conferenceOf(a)?.description).toBe('a watched conference');
    expect(a?.kind === 'added' && a.dn.toLowerCase()).toBe(first.dn!.toLowerCase());
    expect(a?.kind === 'added' && a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const bob = initial.find(named('added', 'watch-bob'));
    expect(bob?.kind === 'added' && bob.type === 'user' && bob.object.ipAddresses).toEqual(['192.0.2.7']);

    const live = conference('watch-live');
    await directory.add(live);
    const added = (await watcher.until(named('added', 'watch-live'), 15_000, 'the add')).at(-1)!;
    expect(conferenceOf(added)?.stopTime).toEqual(STOP);
    expect(added.cookie).toBeTruthy();

    // An object a watch reports can be changed through the Directory, like one enumerate returns.
    const seen = conferenceOf(added) ?? live;
    seen.description = 'changed while watched';
    await directory.modify(seen);
    // On a dynamic server the refresh after the add is a change too (entryTTL): modified events may come before this one.
    const modified = (await watcher.until((e) => conferenceOf(e)?.description === 'changed while watched', 15_000, 'the modify')).at(-1)!;
    expect(modified.kind).toBe('modified');
    expect(modified.kind === 'modified' && modified.uuid).toBe(added.kind === 'added' && added.uuid);

    await directory.delete(seen);
    const deleted = (await watcher.until((e) => e.kind === 'deleted', 15_000, 'the delete')).at(-1)!;
    expect(deleted).toMatchObject({ kind: 'deleted', type: 'conference', name: 'watch-live', uuid: added.kind === 'added' ? added.uuid : '' });
    expect(deleted.kind === 'deleted' && deleted.dn?.toLowerCase()).toBe(live.dn?.toLowerCase() ?? seen.dn?.toLowerCase() ?? `uid=watch-live,${directory.container}`.toLowerCase());

    await directory.delete(first);
    await watcher.until(named('deleted', 'watch-initial-a'), 15_000, 'the second delete');
    await watcher.stop();
  });

  it('watches only the type and names asked for', async () => {
    const directory = await open();
    const watcher = watch(directory, { type: 'conference', name: 'filtered-*' });
    await watcher.until(isSynced, 15_000, 'synced');
    await directory.add(new User({ name: 'filtered-user', ipAddresses: ['192.0.2.8'] }));
    await directory.add(conference('unfiltered-x'));
    const matching = conference('filtered-y');
    await directory.add(matching);
    const read = await watcher.until(named('added', 'filtered-y'), 15_000, 'the matching add');
    expect(read.filter((e) => e.kind !== 'cookie').map(brief)).toEqual(['added conference filtered-y']);
    await directory.delete(matching);
    await watcher.until(named('deleted', 'filtered-y'), 15_000, 'the delete');
    expect(watcher.events.map(brief).filter((b) => b.includes('unfiltered') || b.includes('user'))).toEqual([]);
  });

  it('resumes from a cookie: only what changed since, and what was deleted', async () => {
    const directory = await open();
    const kept = conference('resume-kept');
    const changed = conference('resume-changed');
    const removed = conference('resume-removed');
    for (const c of [kept, changed, removed]) await directory.add(c);
    const first = watch(directory, { filter: '(uid=resume-*)' });
    const initial = await first.until(isSynced, 15_000, 'synced');
    expect(initial.filter((e) => e.kind === 'added').map(brief).sort()).toEqual(['added conference resume-changed', 'added conference resume-kept', 'added conference resume-removed']);
    const cookie = initial.at(-1)!.cookie;
    expect(cookie).toBeTruthy();
    const removedUuid = initial.find(named('added', 'resume-removed'))!;
    await first.stop();

    const reread = (await directory.get('conference', 'resume-changed'))!;
    reread.description = 'changed while nobody watched';
    await directory.modify(reread);
    await directory.delete(removed);
    await directory.add(conference('resume-new'));

    const second = watch(directory, { filter: '(uid=resume-*)', cookie });
    const resumed = await second.until(isSynced, 15_000, 'synced after resuming');
    const summary = resumed.filter((e) => e.kind !== 'cookie' && e.kind !== 'synced').map(brief);
    // The change and the new entry come with their attributes (as adds: the server cannot tell what this watch saw).
    expect(summary).toContain('added conference resume-new');
    expect(summary.some((b) => /^(added|modified) conference resume-changed$/.test(b))).toBe(true);
    const change = resumed.find((e) => (e.kind === 'added' || e.kind === 'modified') && e.object.name === 'resume-changed');
    expect(conferenceOf(change)?.description).toBe('changed while nobody watched');
    // The delete is named by its entryUUID (this watch never reported it, so it has no name).
    expect(resumed.filter((e) => e.kind === 'deleted').map((e) => e.uuid)).toEqual([removedUuid.kind === 'added' ? removedUuid.uuid : '']);
    // The unchanged entry is not sent again.
    expect(summary.filter((b) => b.includes('resume-kept'))).toEqual([]);
    expect(resumed.at(-1)).toMatchObject({ kind: 'synced', fullRefresh: false });
  });

  it('cancels the search when the loop is left, before the connection is closed', async () => {
    const directory = await open();
    const watcher = watch(directory);
    await watcher.until(isSynced, 15_000, 'synced');
    const began = Date.now();
    await watcher.stop();
    // The watch reads to the search's end; a server that ignored the cancel would only be left after 5 s.
    expect(Date.now() - began).toBeLessThan(3000);
    if (target.kind === 'slapd') {
      // slapd's stats log: the cancel extended operation, and the search ended with `canceled` (118).
      await expect.poll(() => /EXT oid=1\.3\.6\.1\.1\.8/.test(target.output()), { timeout: 5000 }).toBe(true);
      await expect.poll(() => /SEARCH RESULT tag=101 err=118/.test(target.output()), { timeout: 5000 }).toBe(true);
    }
    // A for-await loop with break ends the same way.
    for await (const event of directory.watch()) if (event.kind === 'synced') break;
  });

  it('ends the iteration when the signal is aborted', async () => {
    const directory = await open();
    const controller = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const event of directory.watch({ signal: controller.signal })) {
        seen.push(event.kind);
        if (event.kind === 'synced') controller.abort();
      }
    })();
    await expect(loop).resolves.toBeUndefined();
    expect(seen.at(-1)).toBe('synced');
  });
});

describe('Directory.watch against OpenLDAP slapd without a session log', () => {
  let target: Target;
  const opened: Directory[] = [];

  beforeAll(async () => {
    target = await startOpenLdap({ dynamic: false, syncprov: {} });
  });
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await target?.stop();
  });

  it('resumes with a present phase: unchanged entries come as present, and synced says the refresh was full', async () => {
    const directory = await Directory.connect(target.url);
    opened.push(directory);
    await directory.bind(target.user.dn, target.user.password);
    await directory.add(conference('present-kept'));
    const removed = conference('present-removed');
    await directory.add(removed);
    const first = new Watcher(directory);
    const initial = await first.until(isSynced, 15_000, 'synced');
    const cookie = initial.at(-1)!.cookie;
    await first.stop();

    await directory.delete(removed);
    await directory.add(conference('present-new'));

    const second = new Watcher(directory, { cookie });
    try {
      const resumed = await second.until(isSynced, 15_000, 'synced after resuming');
      const summary = resumed.map(brief);
      expect(summary, JSON.stringify(summary)).toContain('added conference present-new');
      // slapd sends the present set as syncIdSets: entryUUIDs without DNs.
      const kept = initial.find(named('added', 'present-kept'))!;
      expect(resumed.filter((e) => e.kind === 'present').map((e) => e.kind === 'present' && e.uuid)).toContain(kept.kind === 'added' && kept.uuid);
      // Nothing names the deleted entry: it is simply not mentioned, which fullRefresh says.
      expect(summary.filter((b) => b.includes('present-removed'))).toEqual([]);
      expect(resumed.at(-1)).toMatchObject({ kind: 'synced', fullRefresh: true });
    } finally {
      await second.stop();
    }
  });
});

describe('Directory.watch over StartTLS (slapd with syncprov)', () => {
  let target: Target;
  let certificate: TestCertificate;

  beforeAll(async () => {
    certificate = makeCertificate();
    target = await startOpenLdap({ dynamic: false, syncprov: {}, logLevel: 'stats', globalConfig: [`TLSCertificateFile ${certificate.cert}`, `TLSCertificateKeyFile ${certificate.key}`] });
  });
  afterAll(async () => {
    await target?.stop();
    certificate?.remove();
  });

  it('makes its own connection as the Directory did: StartTLS with the same TLS options, then the bind', async () => {
    const directory = await Directory.connect(target.url, { secure: true, tls: { ca: [certificate.ca] } });
    try {
      await directory.bind(target.user.dn, target.user.password);
      await directory.add(conference('tls-watched'));
      const watcher = new Watcher(directory);
      const initial = await watcher.until(isSynced, 15_000, 'synced');
      expect(initial.map(brief)).toContain('added conference tls-watched');
      await watcher.stop();
      // The watch's connection is the one that sent the cancel: it did StartTLS and bound as the Directory.
      await expect.poll(() => /conn=(\d+) op=\d+ EXT oid=1\.3\.6\.1\.1\.8/.exec(target.output())?.[1], { timeout: 5000 }).toBeDefined();
      const conn = /conn=(\d+) op=\d+ EXT oid=1\.3\.6\.1\.1\.8/.exec(target.output())![1];
      const lines = target.output().split('\n').filter((line) => line.includes(`conn=${conn} `));
      expect(lines.some((line) => /op=0 STARTTLS/.test(line)), lines.join('\n')).toBe(true);
      expect(lines.some((line) => /TLS established/.test(line)), lines.join('\n')).toBe(true);
      expect(lines.some((line) => line.includes(`BIND dn="${target.user.dn}"`)), lines.join('\n')).toBe(true);
    } finally {
      await directory.close();
    }
  });
});

describe('Directory.watch against Rendezvous with a short change log, and over StartTLS', () => {
  let server: TestServer;
  let certificate: TestCertificate;
  const ALICE = { dn: 'cn=alice,ou=accounts,o=Intranet', password: 'alice-pw' };

  beforeAll(async () => {
    certificate = makeCertificate();
    server = await startServer({
      accounts: [{ name: 'alice', password: ALICE.password }],
      args: ['--sync-log', '1', '--tls-cert', certificate.cert, '--tls-key', certificate.key, '--require-tls-for-bind'],
    });
  });
  afterAll(async () => {
    await server?.stop();
    certificate?.remove();
  });

  it('binds its own connection over StartTLS (the server refuses binds in clear)', async () => {
    const directory = await Directory.connect(server.url, { secure: true, tls: { ca: [certificate.ca] } });
    try {
      await directory.bind(ALICE.dn, ALICE.password);
      await directory.add(conference('tls-rendezvous'));
      const watcher = new Watcher(directory, { name: 'tls-*' });
      expect((await watcher.until(isSynced, 15_000, 'synced')).map(brief)).toContain('added conference tls-rendezvous');
      await watcher.stop();
    } finally {
      await directory.close();
    }
  });

  it('resumes from a cookie the log no longer covers with a present phase', async () => {
    const directory = await Directory.connect(server.url, { secure: true, tls: { ca: [certificate.ca] } });
    try {
      await directory.bind(ALICE.dn, ALICE.password);
      await directory.add(conference('old-kept'));
      const removed = conference('old-removed');
      await directory.add(removed);
      const first = new Watcher(directory, { name: 'old-*' });
      const initial = await first.until(isSynced, 15_000, 'synced');
      const cookie = initial.at(-1)!.cookie;
      await first.stop();
      await directory.delete(removed);
      await directory.add(conference('old-new'));

      // The log keeps one change and is purged every 10 s: resume until the cookie is too old for it.
      let resumed: WatchEvent[] = [];
      const deadline = Date.now() + 30_000;
      while (!resumed.some((e) => e.kind === 'synced' && e.fullRefresh)) {
        if (Date.now() > deadline) throw new Error(`the cookie never fell out of the log: ${JSON.stringify(resumed.map(brief))}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const again = new Watcher(directory, { name: 'old-*', cookie });
        resumed = await again.until(isSynced, 15_000, 'synced after resuming');
        await again.stop();
      }
      const kept = initial.find(named('added', 'old-kept'))!;
      expect(resumed.filter((e) => e.kind === 'present').map((e) => e.uuid)).toEqual([kept.kind === 'added' ? kept.uuid : '']);
      expect(resumed.map(brief)).toContain('added conference old-new');
      expect(resumed.map(brief).filter((b) => b.includes('old-removed'))).toEqual([]);
    } finally {
      await directory.close();
    }
  });
});

describe('Directory.watch against Rendezvous ending it with e-syncRefreshRequired', () => {
  let server: TestServer;

  beforeAll(async () => {
    // A live search more than one change behind its reader is ended with e-syncRefreshRequired (4096) and its last cookie.
    server = await startServer({ accounts: [{ name: 'alice', password: 'alice-pw' }], args: ['--live-backlog', '1'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('searches again from its newest cookie and misses no change', { timeout: 120_000 }, async () => {
    const directory = await Directory.connect(server.url);
    try {
      await directory.bind('cn=alice,ou=accounts,o=Intranet', 'alice-pw');
      const watcher = new Watcher(directory, { name: 'burst-*' });
      await watcher.until(isSynced, 15_000, 'synced');
      // 200 conferences of 40 KB, added while the caller reads nothing: the watch stops reading
      // its socket, 8 MB fill the socket buffers and the server's live search falls behind.
      const names = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
      const writers = await Promise.all(Array.from({ length: 6 }, async () => {
        const writer = await Directory.connect(server.url, { timeoutMs: 120_000 });
        await writer.bind('cn=alice,ou=accounts,o=Intranet', 'alice-pw');
        return writer;
      }));
      try {
        await Promise.all(names.map((name, i) => writers[i % writers.length]!.add(conference(name, 'x'.repeat(40_000)))));
      } finally {
        await Promise.all(writers.map((w) => w.close()));
      }
      const seen = new Set<string>();
      await watcher.until((e) => {
        if (e.kind === 'added') seen.add(e.object.name);
        return seen.size === names.length;
      }, 60_000, 'every add');
      expect(server.logs()).toMatch(/live search \d+ ended: the client fell more than 1 changes behind/);
      expect(watcher.events.filter((e) => e.kind === 'deleted')).toEqual([]);
      await watcher.stop();
    } finally {
      await directory.close();
    }
  });
});

describe('Directory.watch against a server without content synchronisation', () => {
  let target: Target;

  beforeAll(async () => {
    target = await startOpenLdap({ dynamic: false });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('fails with unavailableCriticalExtension and a clear message', async () => {
    const directory = await Directory.connect(target.url);
    try {
      await directory.bind(target.user.dn, target.user.password);
      const error = await (async () => {
        for await (const _event of directory.watch()) return undefined;
        return undefined;
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryError);
      expect((error as DirectoryError).code).toBe(ResultCode.unavailableCriticalExtension);
    } finally {
      await directory.close();
    }
  });

  it('refuses a filter that is not RFC 4515 before connecting', async () => {
    const directory = await Directory.connect(target.url);
    try {
      expect(() => directory.watch({ filter: '(uid=a' })).toThrow(/invalid filter/);
    } finally {
      await directory.close();
    }
  });
});
