/**
 * An unmodified OpenLDAP slapd as a read replica of Rendezvous (RFC 4533 syncrepl,
 * refreshAndPersist, configured by test/helpers/replica.ts): it replicates the whole tree and
 * stays identical, entry by entry (DN, user attributes, entryUUID, entryCSN), through adds,
 * modifies, deletes, refreshes of every kind, expiries, conference ends, a restart of
 * Rendezvous and a restart of the consumer (which resumes from its cookie: its own log shows
 * the cookie it sent, a delete phase and only the entries that changed); and after being
 * offline longer than Rendezvous's change log, it reloads and keeps no stale entry. NetMeeting's
 * people with `c: -`, which slapd refuses by its syntax, reach it without that value: the
 * trees are compared with Rendezvous's side as a replica can store it (the directory's own
 * replicableAttributes), which accounts for exactly that difference.
 *
 * Every wait polls both sides' contextCSN and trees with a deadline (waitInStep).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explain, LDAP, ldapadd, ldapdelete, ldapexop, ldapmodify, ldapsearch, ldapwhoami, ldifAdd, ldifModify, type Bind } from '../helpers/ldap-tools.js';
import { startLiveSearch } from '../helpers/live-ldapsearch.js';
import { attributeNames, attributeSyntaxes, contextCsn, parseSyncLog, startSlapdConsumer, waitInStep, type TreeSource } from '../helpers/replica.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';
import { freePort, type Slapd } from '../helpers/slapd.js';

const SUFFIX = 'o=Intranet';
const DYNAMIC = `ou=dynamic,${SUFFIX}`;
const APPS = `ou=applications,${SUFFIX}`;
const alice: Bind = { dn: accountDn('alice'), password: 'alice-pw' };
const replicator: Bind = { dn: accountDn('replicator'), password: 'replicator-pw' };
const accounts = [
  { name: 'alice', password: alice.password },
  // An administrator: the refresh of a replica is not bound by the server's size limit.
  { name: 'replicator', password: replicator.password, admin: true },
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An SDP blob for a conference from now-60 s to `stop` seconds from now (0: unbounded). */
function sdp(name: string, stop: number, media = 'm=audio 49170 RTP/AVP 0'): Buffer {
  const now = Math.floor(Date.now() / 1000) + 2_208_988_800;
  const lines = ['v=0', `o=alice ${now} 1 IN IP4 host.example.com`, `s=${name}`, 'c=IN IP4 239.255.1.1/15', `t=${now - 60} ${stop === 0 ? 0 : now + stop}`, media];
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''));
}
const conference = (uid: string, stop = 86_400): string => ldifAdd(`uid=${uid},${DYNAMIC}`, { objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: sdp(uid, stop) });
const person = (cn: string, extra: Record<string, string | Buffer | string[]> = {}): string =>
  ldifAdd(`cn=${cn},${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn, ipAddress: '1613317642', givenName: 'Eric', surname: ' ', rfc822mailbox: `${cn}@example.com`, ...extra });
const appUser = (cn: string, app = 'MS-NetMeeting'): string =>
  ldifAdd(`cn=${cn},appName=${app},${APPS}`, { objectClass: ['rtApplicationUser', 'dynamicObject'], cn, applicationId: app.toLowerCase(), protocolId: 'H323', port: '1720' });
/** A binary Windows security descriptor (bytes that are not UTF-8). */
const DESCRIPTOR = Buffer.from('0100048c000000000000000000000000140000000200', 'hex');

/** Rendezvous started on a fixed port, so that the consumer's `provider=` holds across restarts. */
async function startProvider(args: string[] = []): Promise<TestServer> {
  const port = await freePort();
  return startServer({ accounts, args: ['--port', String(port), '--ttl-min', '1', '--conference-grace', '1', '--madcap-port', 'off', ...args] });
}

/** Whether the change log still covers `csn`: a refreshOnly sync from it ends with refreshDeletes. */
async function logCovers(url: string, csn: string): Promise<boolean> {
  const sync = startLiveSearch(url, { base: SUFFIX, control: `!sync=ro/rid=001,csn=${csn}`, attrs: ['1.1'] });
  await sync.exited();
  const done = sync.events().find((e) => e.kind === 'done');
  if (done?.kind !== 'done') throw new Error(`no Sync Done from ${sync.command}:\n${sync.stdout()}${sync.stderr()}`);
  return done.refreshDeletes;
}

async function write(server: TestServer, kind: 'add' | 'modify', ldif: string): Promise<void> {
  const r = kind === 'add' ? await ldapadd(server.url, ldif, { auth: alice }) : await ldapmodify(server.url, ldif, { auth: alice });
  expect(r.code, explain(r)).toBe(0);
}

describe('a stock slapd consumer of Rendezvous', () => {
  let server: TestServer;
  let consumer: Slapd;
  let names: Map<string, string>;
  let syntaxes: Map<string, string>;
  let provider: TreeSource;
  let replica: TreeSource;
  const inStep = (unlike?: string, timeoutMs?: number) =>
    waitInStep(provider, replica, names, { unlike, timeoutMs, syntaxes, describe: () => `--- consumer log\n${consumer.output().slice(-6000)}\n--- rendezvous log\n${server.logs().slice(-3000)}` });

  beforeAll(async () => {
    // A size limit below the tree's size: the replica's refresh (an administrator's) is not bound by it.
    server = await startProvider(['--size-limit', '5']);
    await write(
      server,
      'add',
      [
        conference('Weekly', 86_400),
        conference('Open', 0),
        person('egruber', { comment: 'Generated by TAPI3', ntSecurityDescriptor: DESCRIPTOR }),
        person('jdoe'),
        person('bye'),
        // NetMeeting writes c: - for "no country": the replica's refresh phase gets it without c.
        person('nm', { c: '-' }),
        // ...and where c is a MUST attribute (class country, named by another attribute), without its only value.
        ldifAdd(`description=nowhere,${DYNAMIC}`, { objectClass: ['country', 'dynamicObject'], description: 'nowhere', c: '-' }),
        appUser('egruber'),
        appUser('jdoe', 'Chat'),
      ].join('\n'),
    );
    consumer = await startSlapdConsumer({ provider: server.url, bind: replicator });
    names = await attributeNames(consumer.url);
    syntaxes = await attributeSyntaxes(consumer.url);
    provider = { url: server.url, base: SUFFIX, auth: replicator, pageSize: 5 };
    replica = { url: consumer.url, base: SUFFIX, auth: { dn: consumer.rootDn, password: consumer.rootPw } };
  });
  afterAll(async () => {
    await consumer?.stop();
    await stopAllServers();
  });

  it("replicates the whole tree (more entries than --size-limit): containers, conferences, people, application registrations, binary values, NetMeeting's c: - left out", async () => {
    const { tree, replica: held, csn } = await inStep();
    expect([...tree.keys()].sort()).toEqual(
      [
        SUFFIX,
        DYNAMIC,
        APPS,
        `appName=MS-NetMeeting,${APPS}`,
        `appName=Chat,${APPS}`,
        `cn=egruber,appName=MS-NetMeeting,${APPS}`,
        `cn=jdoe,appName=Chat,${APPS}`,
        `uid=Weekly,${DYNAMIC}`,
        `uid=Open,${DYNAMIC}`,
        `cn=egruber,${DYNAMIC}`,
        `cn=jdoe,${DYNAMIC}`,
        `cn=bye,${DYNAMIC}`,
        `cn=nm,${DYNAMIC}`,
        `description=nowhere,${DYNAMIC}`,
      ].sort(),
    );
    // Rendezvous shows what NetMeeting wrote; the replica holds the rest of the entry.
    expect(tree.get(`cn=nm,${DYNAMIC}`)?.attributes.c).toEqual(['-']);
    expect(held.get(`cn=nm,${DYNAMIC}`)?.attributes).toEqual({ ...tree.get(`cn=nm,${DYNAMIC}`)?.attributes, c: undefined });
    expect([tree.get(`description=nowhere,${DYNAMIC}`)?.attributes.c, held.get(`description=nowhere,${DYNAMIC}`)?.attributes.c]).toEqual([['-'], undefined]);
    expect(held.get(`description=nowhere,${DYNAMIC}`)?.attributes.objectclass).toContain('country');
    expect(tree.get(`cn=egruber,${DYNAMIC}`)?.attributes.ntsecuritydescriptor).toEqual([`base64:${DESCRIPTOR.toString('base64')}`]);
    expect(tree.get(`uid=Weekly,${DYNAMIC}`)?.attributes.starttime).toHaveLength(1);
    // The replica has what the consumer's contextCSN says: the provider's.
    expect(csn).toBe(await contextCsn(provider));
    // Dynamic entries arrive as plain entries: no TTL counts down there.
    const ttl = await ldapsearch(consumer.url, { base: DYNAMIC, filter: '(cn=egruber)', attrs: ['entryTtl', 'objectClass'], auth: replica.auth });
    expect(ttl.entries[0]?.get('objectClass').map((c) => c.toLowerCase())).toContain('dynamicobject');
    expect(ttl.entries[0]?.has('entryTtl')).toBe(false);
    // Accounts are not entries: they stay on the writer, and a bind to a replica fails.
    expect((await ldapwhoami(consumer.url, { auth: alice })).code).toBe(LDAP.invalidCredentials);
  });

  it('follows adds, modifies and deletes (a last registration takes its appName container along)', async () => {
    const before = await inStep();
    await write(server, 'add', [person('new'), appUser('new', 'Whiteboard')].join('\n'));
    await write(
      server,
      'modify',
      [
        ldifModify(`cn=jdoe,${DYNAMIC}`, [{ op: 'replace', attr: 'comment', values: ['in a meeting'] }]),
        ldifModify(`uid=Weekly,${DYNAMIC}`, [{ op: 'replace', attr: 'conferenceBlob', values: [sdp('Weekly', 7200, 'm=video 51372 RTP/AVP 31')] }]),
      ].join('\n'),
    );
    const deleted = await ldapdelete(server.url, [`cn=bye,${DYNAMIC}`, `cn=jdoe,appName=Chat,${APPS}`], { auth: alice });
    expect(deleted.code, explain(deleted)).toBe(0);
    const after = await inStep(before.csn);
    expect(after.tree.get(`cn=jdoe,${DYNAMIC}`)?.attributes.comment).toEqual(['in a meeting']);
    expect(after.tree.get(`uid=Weekly,${DYNAMIC}`)?.attributes.conferenceblob?.[0]).toContain('m=video');
    expect(after.tree.has(`cn=new,appName=Whiteboard,${APPS}`)).toBe(true);
    expect(after.tree.has(`cn=bye,${DYNAMIC}`)).toBe(false);
    expect(after.tree.has(`appName=Chat,${APPS}`)).toBe(false);
  });

  it("follows NetMeeting's people as they register and change country: c: - left out, a valid c kept, a change between them applied", async () => {
    const nm = `cn=nm-live,${DYNAMIC}`;
    const de = `cn=de-live,${DYNAMIC}`;
    const before = await inStep();
    await write(server, 'add', [person('nm-live', { c: '-' }), person('de-live', { c: 'DE' })].join('\n'));
    let step = await inStep(before.csn);
    expect([step.tree.get(nm)?.attributes.c, step.replica.get(nm)?.attributes.c]).toEqual([['-'], undefined]);
    expect(step.replica.get(nm)?.attributes.cn).toEqual(['nm-live']);
    expect([step.tree.get(de)?.attributes.c, step.replica.get(de)?.attributes.c]).toEqual([['DE'], ['DE']]);
    for (const [country, held] of [['FR', ['FR']], ['-', undefined]] as const) {
      await write(server, 'modify', ldifModify(nm, [{ op: 'replace', attr: 'c', values: [country] }]));
      step = await inStep(step.csn);
      expect([step.tree.get(nm)?.attributes.c, step.replica.get(nm)?.attributes.c], country).toEqual([[country], held]);
    }
    // The replica answers searches with what it holds.
    const read = await ldapsearch(consumer.url, { base: nm, scope: 'base', attrs: ['c', 'cn'] });
    expect(read.entries[0]?.has('c')).toBe(false);
    expect(read.entries[0]?.get('cn')).toEqual(['nm-live']);
  });

  it('follows refreshes of every kind: RFC 2589 refresh, a modify of entryTTL, an ILS (sttl=N) search', async () => {
    const dn = `cn=egruber,${DYNAMIC}`;
    let step = await inStep();
    const refreshes: Array<() => Promise<unknown>> = [
      async () => expect((await ldapexop(server.url, ['refresh', dn, '900'], { auth: alice })).code).toBe(0),
      () => write(server, 'modify', ldifModify(dn, [{ op: 'replace', attr: 'entryTTL', values: ['1200'] }])),
      async () => expect((await ldapsearch(server.url, { base: DYNAMIC, filter: '(&(cn=egruber)(sttl=20))', auth: alice })).entries).toHaveLength(1),
    ];
    for (const refresh of refreshes) {
      const csnBefore = step.tree.get(dn)?.entryCSN;
      await refresh();
      step = await inStep(step.csn);
      // A refresh is a change: the entry has a new entryCSN, on both sides.
      expect(step.tree.get(dn)?.entryCSN).not.toBe(csnBefore);
    }
  });

  it('follows expiries and conference ends: the replica deletes what the provider expired', async () => {
    const before = await inStep();
    await write(server, 'add', [person('short'), conference('Ending', 2)].join('\n'));
    expect((await ldapexop(server.url, ['refresh', `cn=short,${DYNAMIC}`, '2'], { auth: alice })).code).toBe(0);
    const added = await inStep(before.csn);
    expect(added.tree.has(`cn=short,${DYNAMIC}`) && added.tree.has(`uid=Ending,${DYNAMIC}`)).toBe(true);
    // TTL 2 s; the conference stops in 2 s and is kept --conference-grace 1 s more.
    const deadline = Date.now() + 15_000;
    let step = added;
    while (step.tree.has(`cn=short,${DYNAMIC}`) || step.tree.has(`uid=Ending,${DYNAMIC}`)) {
      if (Date.now() > deadline) throw new Error(`not expired on both sides: ${[...step.tree.keys()].join(', ')}`);
      await sleep(200);
      step = await inStep();
    }
  });

  it('stays in step through a restart of Rendezvous (the consumer retries and resumes)', async () => {
    const before = await inStep();
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    await write(server, 'add', person('after-restart'));
    const after = await inStep(before.csn);
    expect(after.tree.has(`cn=after-restart,${DYNAMIC}`)).toBe(true);
  });

  it('while the writer does not answer, serves the tree as it was, lapsed entries too; deletes them when the writer is back', async () => {
    await write(server, 'add', person('frozen'));
    expect((await ldapexop(server.url, ['refresh', `cn=frozen,${DYNAMIC}`, '1'], { auth: alice })).code).toBe(0);
    const before = await inStep();
    expect(before.tree.has(`cn=frozen,${DYNAMIC}`)).toBe(true);
    // SIGSTOP: the writer holds its connections but answers nothing, and expires nothing.
    process.kill(server.pid, 'SIGSTOP');
    try {
      await sleep(2000);
      const read = await ldapsearch(consumer.url, { base: DYNAMIC, filter: '(cn=frozen)', attrs: ['cn'] });
      expect(read.entries.map((e) => e.dn)).toEqual([`cn=frozen,${DYNAMIC}`]);
      expect(await contextCsn(replica)).toBe(before.csn);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    const after = await inStep(before.csn);
    expect(after.tree.has(`cn=frozen,${DYNAMIC}`)).toBe(false);
  });

  it('resumes from its cookie after a restart of the consumer, without a full reload', async () => {
    const before = await inStep();
    await consumer.halt();
    await write(server, 'modify', ldifModify(`cn=jdoe,${DYNAMIC}`, [{ op: 'replace', attr: 'comment', values: ['while the replica was away'] }]));
    await write(server, 'add', person('while-away'));
    expect((await ldapdelete(server.url, `cn=new,${DYNAMIC}`, { auth: alice })).code).toBe(0);
    await consumer.resume();
    const after = await inStep(before.csn);
    expect(after.tree.has(`cn=new,${DYNAMIC}`)).toBe(false);
    const log = parseSyncLog(consumer.output());
    // It sent the cookie it had, was sent only the two entries that changed (the delete came
    // as an entryUUID), and the refresh ended in a delete phase: nothing else was resent.
    expect(log.cookies[0], consumer.output()).toBe(`rid=001,csn=${before.csn}`);
    expect(log.entries.map((e) => e.dn).sort(), consumer.output()).toEqual([`cn=jdoe,${DYNAMIC}`, `cn=while-away,${DYNAMIC}`]);
    expect(log.infos).toContain('REFRESH_DELETE');
    expect(log.infos).not.toContain('REFRESH_PRESENT');
    expect(log.refreshRequired).toBe(false);
    expect(after.tree.size).toBeGreaterThan(log.entries.length + 5);
  });
});

describe('a slapd consumer offline longer than the change log (--sync-log 5)', () => {
  let server: TestServer;
  let consumer: Slapd | undefined;
  afterEach(async () => {
    await consumer?.stop();
    await server?.stop();
  });

  it('reloads the whole tree when it comes back, and keeps no entry deleted meanwhile', async () => {
    server = await startProvider(['--sync-log', '5']);
    await write(server, 'add', [person('stays', { c: '-' }), person('goes'), conference('Kept', 0), appUser('goes')].join('\n'));
    const replicaConsumer = await startSlapdConsumer({ provider: server.url, bind: replicator });
    consumer = replicaConsumer;
    const names = await attributeNames(replicaConsumer.url);
    const syntaxes = await attributeSyntaxes(replicaConsumer.url);
    const provider = { url: server.url, base: SUFFIX, auth: replicator };
    const replica = { url: replicaConsumer.url, base: SUFFIX, auth: { dn: replicaConsumer.rootDn, password: replicaConsumer.rootPw } };
    const describeLogs = (): string => `--- consumer log\n${replicaConsumer.output().slice(-6000)}\n--- rendezvous log\n${server.logs().slice(-3000)}`;
    const before = await waitInStep(provider, replica, names, { syntaxes, describe: describeLogs });
    expect(before.tree.has(`cn=goes,${DYNAMIC}`)).toBe(true);

    await replicaConsumer.halt();
    // Far more changes than the log keeps, among them deletes the consumer must not miss.
    expect((await ldapdelete(server.url, [`cn=goes,${DYNAMIC}`, `cn=goes,appName=MS-NetMeeting,${APPS}`], { auth: alice })).code).toBe(0);
    await write(server, 'add', Array.from({ length: 12 }, (_, i) => person(`later-${i}`)).join('\n'));
    // The log is trimmed in the background (every 10 s): come back once it no longer covers
    // the replica's cookie, which a refreshOnly sync from that cookie tells.
    const deadline = Date.now() + 30_000;
    while (await logCovers(server.url, before.csn)) {
      if (Date.now() > deadline) throw new Error(`the change log still covers ${before.csn} after 30 s (--sync-log 5)`);
      await sleep(500);
    }
    await replicaConsumer.resume();

    const after = await waitInStep(provider, replica, names, { unlike: before.csn, syntaxes, describe: describeLogs });
    expect(after.tree.has(`cn=goes,${DYNAMIC}`)).toBe(false);
    expect(after.tree.has(`appName=MS-NetMeeting,${APPS}`)).toBe(false);
    expect(after.tree.has(`cn=later-11,${DYNAMIC}`)).toBe(true);
    // A full reload: told to start over (e-syncRefreshRequired) or given a present phase,
    // and sent every entry of the tree, not only what changed.
    const log = parseSyncLog(replicaConsumer.output());
    expect(log.cookies[0]).toBe(`rid=001,csn=${before.csn}`);
    expect(log.refreshRequired || log.infos.includes('REFRESH_PRESENT'), replicaConsumer.output()).toBe(true);
    const sent = new Set(log.entries.map((e) => e.dn));
    for (const dn of after.tree.keys()) expect(sent.has(dn), `${dn} was not sent in the reload`).toBe(true);
  });
});
