/**
 * The client library over the wire, against Rendezvous and against OpenLDAP slapd with the
 * dds overlay: the same cases on both, where the standards define the behaviour.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyConnectedError,
  Conference,
  ConnectError,
  Directory,
  DirectoryError,
  NotConnectedError,
  ResultCode,
  User,
  type AutoRefreshEvent,
} from '../../src/index.js';
import { freePort } from '../helpers/slapd.js';
import { CONTAINER, eventually, rawClient, startOpenLdap, TARGETS, type Target } from './targets.js';

const START = new Date('2030-05-06T07:00:00Z');
const STOP = new Date('2030-05-06T08:30:00Z');

function weeklySync(name = 'weekly-sync'): Conference {
  return Conference.create({
    name,
    description: 'Weekly sync of the directory team',
    originator: 'alice',
    machineAddress: 'alice.example.org',
    url: 'http://example.org/weekly',
    start: START,
    stop: STOP,
    address: '239.1.2.3',
    scope: 'region',
    media: [{ type: 'audio', port: 5004, formats: ['0', '8'] }],
    emails: [{ value: 'alice@example.org', name: 'Alice' }],
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe.each(TARGETS)('the client library against %s', (_name, start) => {
  let target: Target;
  let directory: Directory;
  const opened: Directory[] = [];

  /** A Directory connected and bound as the target's user, closed after the test. */
  async function open(options: ConstructorParameters<typeof Directory>[0] = {}): Promise<Directory> {
    const d = await Directory.connect(target.url, options);
    opened.push(d);
    await d.bind(target.user.dn, target.user.password);
    return d;
  }

  beforeAll(async () => {
    target = await start();
  });
  afterAll(async () => {
    await target?.stop();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });

  it('connects, learns that entries are dynamic and where they live, and refuses a second connect', async () => {
    directory = await open();
    expect(directory.isConnected).toBe(true);
    expect(directory.isDynamic).toBe(true);
    expect(directory.container).toBe(CONTAINER);
    expect(directory.url).toBe(target.url);
    await expect(directory.connect(target.url)).rejects.toBeInstanceOf(AlreadyConnectedError);
    await directory.close();
    expect(directory.isConnected).toBe(false);
    await expect(directory.add(weeklySync())).rejects.toBeInstanceOf(NotConnectedError);
    expect(() => directory.isDynamic).toThrow(NotConnectedError);
  });

  it('adds a conference as its blob and reads every property back from the blob', async () => {
    directory = await open();
    const conference = weeklySync();
    await directory.add(conference);
    expect(conference.dn).toBe(`uid=weekly-sync,${CONTAINER}`);

    const found = await collect(directory.enumerate('conference', '*'));
    const read = found.find((c) => c.name === 'weekly-sync');
    expect(read).toBeDefined();
    expect(read!.dn?.toLowerCase()).toBe(`uid=weekly-sync,${CONTAINER}`.toLowerCase());
    expect(read!.protocol).toBe('IP Conference');
    expect(read!.description).toBe('Weekly sync of the directory team');
    expect(read!.originator).toBe('alice');
    expect(read!.url).toBe('http://example.org/weekly');
    expect(read!.startTime).toEqual(START);
    expect(read!.stopTime).toEqual(STOP);
    expect(read!.advertisingScope).toBe('region');
    expect(read!.isEncrypted).toBe(false);
    expect(read!.blob.description.media.map((m) => [m.type, m.port, m.formats])).toEqual([['audio', 5004, ['0', '8']]]);
    expect(read!.dialableAddresses('sdp')[0]).toContain('c=IN IP4 239.1.2.3/63\r\n');

    // Only uid, protocolID, conferenceBlob (and objectClass) were written: nothing derived by the client.
    const raw = await rawClient(target);
    try {
      const { searchEntries } = await raw.search(conference.dn!, { scope: 'base', attributes: ['objectClass', 'conferenceBlob'] });
      expect(searchEntries[0]?.conferenceBlob).toBe(read!.dialableAddresses('sdp')[0]);
      expect([searchEntries[0]?.objectClass].flat().map((c) => String(c).toLowerCase()).sort()).toEqual(['dynamicobject', 'rtconference']);
    } finally {
      await raw.unbind();
    }
    await directory.delete(conference);
  });

  it('modifies a conference through its properties and its blob, raising the session version', async () => {
    directory = await open();
    const conference = weeklySync('modified-sync');
    await directory.add(conference);
    const before = (await directory.get('conference', 'modified-sync'))!;
    const version = BigInt(before.blob.description.origin.sessionVersion);

    before.description = 'Now with video';
    before.isEncrypted = true;
    before.setTimes(new Date('2030-05-07T07:00:00Z'), new Date('2030-05-07T09:00:00Z'));
    before.blob.description.media.push({ type: 'video', port: 5006, protocol: 'RTP/AVP', formats: ['31'], connections: [], bandwidths: [], attributes: [] });
    await directory.modify(before);

    const after = (await directory.get('conference', 'modified-sync'))!;
    expect(after.description).toBe('Now with video');
    expect(after.isEncrypted).toBe(true);
    expect(after.startTime).toEqual(new Date('2030-05-07T07:00:00Z'));
    expect(after.stopTime).toEqual(new Date('2030-05-07T09:00:00Z'));
    expect(after.blob.description.media.map((m) => m.type)).toEqual(['audio', 'video']);
    expect(BigInt(after.blob.description.origin.sessionVersion)).toBe(version + 1n);
    await directory.delete(after);
  });

  it('refreshes with the RFC 2589 extended operation and reports the TTL granted', async () => {
    directory = await open();
    directory.defaultObjectTTL = 900;
    const conference = weeklySync('refreshed-sync');
    await directory.add(conference);
    expect(directory.refreshPath).toBe('extended');
    const granted = await directory.refresh(conference, 600);
    expect(granted).toBeGreaterThan(590);
    expect(granted).toBeLessThanOrEqual(600);
    await directory.delete(conference);
    const gone = await directory.refresh(conference).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(DirectoryError);
    expect((gone as DirectoryError).code).toBe(ResultCode.noSuchObject);
  });

  it('deletes, and reports what the server refuses with its result code', async () => {
    directory = await open();
    const conference = weeklySync('deleted-sync');
    await directory.add(conference);
    const duplicate = await directory.add(weeklySync('deleted-sync')).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(DirectoryError);
    expect((duplicate as DirectoryError).code).toBe(ResultCode.entryAlreadyExists);
    expect((duplicate as DirectoryError).dn).toBe(`uid=deleted-sync,${CONTAINER}`);

    await directory.delete(conference);
    expect(conference.dn).toBeUndefined();
    expect(await directory.get('conference', 'deleted-sync')).toBeUndefined();
    const again = await directory.delete(weeklySync('deleted-sync')).catch((e: unknown) => e);
    expect((again as DirectoryError).code).toBe(ResultCode.noSuchObject);
  });

  it('refuses a wrong password and anonymous writes', async () => {
    const d = await Directory.connect(target.url);
    opened.push(d);
    const wrong = await d.bind(target.user.dn, 'not the password').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(DirectoryError);
    expect((wrong as DirectoryError).code).toBe(ResultCode.invalidCredentials);
    expect((wrong as DirectoryError).message).toMatch(/invalid credentials/);
    await expect(d.bind(target.user.dn, '')).rejects.toThrow(TypeError);

    await d.bind();
    const anonymous = await d.add(weeklySync('anonymous-sync')).catch((e: unknown) => e);
    // RFC 4513 §6.3.1 leaves the refusal's code to the server: slapd says strongerAuthRequired.
    expect([ResultCode.insufficientAccessRights, ResultCode.strongerAuthRequired]).toContain((anonymous as DirectoryError).code);
  });

  it('enumerates with * as the only wildcard: parentheses, stars and backslashes are literal', async () => {
    directory = await open();
    const names = ['lit (1)', 'lit*star', 'lit\\back', 'literal'];
    for (const name of names) await directory.add(weeklySync(name));
    const names_ = async (pattern: string): Promise<string[]> => (await collect(directory.enumerate('conference', pattern))).map((c) => c.name).sort();
    expect(await names_('lit*')).toEqual([...names].sort());
    expect(await names_('lit (*')).toEqual(['lit (1)']);
    expect(await names_('lit\\back')).toEqual(['lit\\back']);
    expect(await names_('*star')).toEqual(['lit*star']);
    expect(await names_('nothing*')).toEqual([]);
    for (const name of names) await directory.delete((await directory.get('conference', name))!);
  });

  it('pages through many conferences', async () => {
    directory = await open({ pageSize: 3 });
    const names = Array.from({ length: 8 }, (_, i) => `page-${i}`);
    for (const name of names) await directory.add(weeklySync(name));
    const seen = (await collect(directory.enumerate('conference', 'page-*'))).map((c) => c.name).sort();
    expect(seen).toEqual(names);
    for (const name of names) await directory.delete((await directory.get('conference', name))!);
  });

  it('registers a user with IPv4 addresses stored in the ILS little-endian decimal form', async () => {
    directory = await open();
    const user = new User({
      name: 'bob',
      ipPhonePrimary: 'bob-pc.example.org',
      ipAddresses: ['10.70.41.96', '192.168.1.2'],
      email: 'bob@example.org',
      surname: 'Builder',
      location: 'Lab 3',
    });
    await directory.add(user);
    expect(user.dn).toBe(`cn=bob]bob-pc.example.org,${CONTAINER}`);

    const raw = await rawClient(target);
    try {
      const { searchEntries } = await raw.search(user.dn!, { scope: 'base', attributes: ['ipAddress', 'mail'] });
      expect([searchEntries[0]?.ipAddress].flat().sort()).toEqual(['1613317642', '33663168'].sort());
    } finally {
      await raw.unbind();
    }

    const read = (await directory.get('user', 'bob'))!;
    expect(read.name).toBe('bob');
    expect(read.ipPhonePrimary).toBe('bob-pc.example.org');
    expect([...read.ipAddresses].sort()).toEqual(['10.70.41.96', '192.168.1.2']);
    expect(read.dialableAddresses('domainName')).toEqual(['bob-pc.example.org']);
    expect(read.email).toBe('bob@example.org');
    expect(read.surname).toBe('Builder');
    expect(() => (read.ipPhonePrimary = 'other.example.org')).toThrow(TypeError);

    read.location = 'Lab 4';
    read.ipAddresses = ['10.0.0.1'];
    await directory.modify(read);
    const users = await collect(directory.enumerate('user', 'b*'));
    expect(users.map((u) => [u.name, u.location, u.ipAddresses])).toEqual([['bob', 'Lab 4', ['10.0.0.1']]]);
    expect((await collect(directory.enumerate('user', 'bob'))).map((u) => u.dn?.toLowerCase())).toEqual([user.dn!.toLowerCase()]);
    await directory.delete(read);
  });

  it('keeps added objects alive and re-creates one the server has forgotten, until closed', async () => {
    const events: AutoRefreshEvent[] = [];
    const d = await open({ refreshDelay: () => 300, onAutoRefresh: (event) => events.push(event) });
    d.enableAutoRefresh(true);
    const conference = weeklySync('kept-alive');
    await d.add(conference);
    await eventually(() => events.some((e) => e.kind === 'refreshed' && e.object === conference), 10_000, 'an automatic refresh');

    // Make the server forget it, as an expiry would.
    const admin = await Directory.connect(target.url);
    opened.push(admin);
    await admin.bind(target.admin.dn, target.admin.password);
    await admin.delete((await admin.get('conference', 'kept-alive'))!);
    await eventually(() => events.some((e) => e.kind === 'recreated' && e.object === conference), 10_000, 're-creation');
    const back = await admin.get('conference', 'kept-alive');
    expect(back?.description).toBe(conference.description);
    expect(events.filter((e) => e.kind === 'failed')).toEqual([]);

    await d.close();
    const count = events.length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(events.length).toBe(count);
    await admin.delete(back!);
  });

  it('stops keeping an object alive once it is deleted', async () => {
    const events: AutoRefreshEvent[] = [];
    const d = await open({ refreshDelay: () => 200, onAutoRefresh: (event) => events.push(event) });
    d.enableAutoRefresh(true);
    const conference = weeklySync('deleted-while-kept');
    await d.add(conference);
    await d.delete(conference);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(events).toEqual([]);
    expect(await d.get('conference', 'deleted-while-kept')).toBeUndefined();
  });
});

describe('the client library against a directory without dynamic entries (slapd without dds)', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startOpenLdap({ dynamic: false });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('adds static objects and treats refresh as a no-op, as TAPI did', async () => {
    const d = await Directory.connect(target.url);
    try {
      await d.bind(target.user.dn, target.user.password);
      expect(d.isDynamic).toBe(false);
      const conference = weeklySync('static-sync');
      await d.add(conference);
      expect(await d.refresh(conference)).toBeUndefined();
      const raw = await rawClient(target);
      try {
        const { searchEntries } = await raw.search(conference.dn!, { scope: 'base', attributes: ['objectClass'] });
        expect([searchEntries[0]?.objectClass].flat()).toEqual(['rtConference']);
      } finally {
        await raw.unbind();
      }
      await d.delete(conference);
    } finally {
      await d.close();
    }
  });
});

describe('connecting', () => {
  it('fails with one clear line when nothing listens', async () => {
    const port = await freePort();
    const error = await Directory.connect(`ldap://127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).toBe(`cannot connect to ldap://127.0.0.1:${port}: connection refused`);
    expect((error as ConnectError).code).toBe(ResultCode.connectError);
  });

  it('refuses what is not an LDAP URL or a host name', async () => {
    await expect(Directory.connect('http://example.org')).rejects.toThrow(TypeError);
  });
});
