/**
 * What the messages of an RFC 4533 refresh mean to a watch (src/client/sync-consumer.ts),
 * for sequences a test server cannot be made to send on demand: a present phase after
 * entries were reported (a restart after e-syncRefreshRequired), a refresh from nothing
 * after one, deletes named only by entryUUID, a present phase followed by a delete phase.
 * The wire behaviour is tested against slapd and Rendezvous in watch.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SyncConsumer, type WatchEvent } from '../../src/client/sync-consumer.js';
import type { ResultEntry, SyncState } from '../../src/protocol/index.js';

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const CONTAINER = 'ou=dynamic,o=Intranet';

function conferenceEntry(name: string): ResultEntry {
  const blob = `v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=${name}\r\nc=IN IP4 239.1.2.3/15\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n`;
  return {
    dn: `uid=${name},${CONTAINER}`,
    attributes: [
      { type: 'objectClass', values: [Buffer.from('top'), Buffer.from('rtConference')] },
      { type: 'uid', values: [Buffer.from(name)] },
      { type: 'conferenceBlob', values: [Buffer.from(blob)] },
    ],
  };
}

const presentEntry = (name: string): ResultEntry => ({ dn: `uid=${name},${CONTAINER}`, attributes: [] });
const state = (s: SyncState, n: number, cookie?: string) => ({ state: s, uuid: uuid(n), ...(cookie ? { cookie: Buffer.from(cookie) } : {}) });

function brief(events: WatchEvent[]): string[] {
  return events.map((e) => {
    if (e.kind === 'added' || e.kind === 'modified') return `${e.kind} ${e.object.name}`;
    if (e.kind === 'deleted') return `deleted ${e.name ?? e.uuid}`;
    if (e.kind === 'present') return `present ${e.dn ?? e.uuid}`;
    if (e.kind === 'synced') return `synced ${e.fullRefresh ? 'full' : 'incremental'} ${e.cookie}`;
    return `cookie ${e.cookie}`;
  });
}

/** A consumer that has reported a, b and c, and reached the persist phase. */
function reportedThree(): SyncConsumer {
  const consumer = new SyncConsumer(undefined);
  consumer.startRefresh(undefined);
  for (const [n, name] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) consumer.entry(conferenceEntry(name), state('add', n));
  expect(brief(consumer.info({ type: 'refreshDelete', cookie: Buffer.from('csn=1'), refreshDone: true }))).toEqual(['synced full csn=1']);
  return consumer;
}

describe('SyncConsumer', () => {
  it('reports a present phase\'s end as the deletes of what it reported and the server did not mention', () => {
    const consumer = reportedThree();
    consumer.refreshRequired(Buffer.from('csn=2'));
    consumer.startRefresh(consumer.cookie);
    expect(brief(consumer.entry(presentEntry('a'), state('present', 1)))).toEqual([]);
    expect(brief(consumer.entry(conferenceEntry('b'), state('add', 2)))).toEqual(['modified b']);
    expect(brief(consumer.info({ type: 'refreshPresent', cookie: Buffer.from('csn=3'), refreshDone: true }))).toEqual(['deleted c', 'synced full csn=3']);
    expect(consumer.size).toBe(2);
  });

  it('takes a present set sent as a syncIdSet, and names deletes by UUID with the DN and name reported', () => {
    const consumer = reportedThree();
    consumer.startRefresh('csn=1');
    expect(brief(consumer.info({ type: 'syncIdSet', refreshDeletes: false, uuids: [uuid(1), uuid(3)] }))).toEqual([]);
    expect(brief(consumer.info({ type: 'refreshPresent', refreshDone: true }))).toEqual(['deleted b', 'synced full csn=1']);
    const deleted = consumer.info({ type: 'syncIdSet', cookie: Buffer.from('csn=4'), refreshDeletes: true, uuids: [uuid(3)] });
    expect(deleted).toEqual([{ kind: 'deleted', dn: `uid=c,${CONTAINER}`, uuid: uuid(3), type: 'conference', name: 'c', cookie: 'csn=4' }]);
  });

  it('treats a refresh from nothing as full, and a refresh from a cookie that ends in refreshDelete as incremental', () => {
    const consumer = reportedThree();
    consumer.forgetCookie();
    consumer.startRefresh(consumer.cookie);
    consumer.entry(conferenceEntry('a'), state('add', 1));
    expect(brief(consumer.info({ type: 'refreshDelete', cookie: Buffer.from('csn=5'), refreshDone: true }))).toEqual(['deleted b', 'deleted c', 'synced full csn=5']);

    consumer.startRefresh(consumer.cookie);
    expect(brief(consumer.info({ type: 'refreshDelete', refreshDone: true }))).toEqual(['synced incremental csn=5']);
    expect(consumer.size).toBe(1);
  });

  it('applies a present phase once, then the delete phase that follows it names its deletes', () => {
    const consumer = reportedThree();
    consumer.startRefresh('csn=1');
    consumer.entry(presentEntry('a'), state('present', 1));
    consumer.entry(presentEntry('b'), state('present', 2));
    expect(brief(consumer.info({ type: 'refreshPresent', refreshDone: false }))).toEqual(['deleted c']);
    expect(brief(consumer.info({ type: 'syncIdSet', refreshDeletes: true, uuids: [uuid(2)] }))).toEqual(['deleted b']);
    expect(brief(consumer.info({ type: 'refreshDelete', cookie: Buffer.from('csn=6'), refreshDone: true }))).toEqual(['synced full csn=6']);
    expect(consumer.size).toBe(1);
  });

  it('reports entries of a resumed watch as present until their content comes, and keeps the newest cookie', () => {
    const consumer = new SyncConsumer('csn=1');
    consumer.startRefresh('csn=1');
    expect(brief(consumer.entry(presentEntry('a'), state('present', 1)))).toEqual([`present uid=a,${CONTAINER}`]);
    expect(brief(consumer.info({ type: 'syncIdSet', refreshDeletes: false, uuids: [uuid(2)] }))).toEqual([`present ${uuid(2)}`]);
    expect(brief(consumer.entry(conferenceEntry('b'), state('add', 2)))).toEqual(['added b']);
    consumer.info({ type: 'refreshPresent', refreshDone: true });
    expect(brief(consumer.entry(conferenceEntry('a'), state('modify', 1, 'csn=7')))).toEqual(['modified a']);
    expect(brief(consumer.info({ type: 'newcookie', cookie: Buffer.from('csn=8') }))).toEqual(['cookie csn=8']);
    expect(consumer.cookie).toBe('csn=8');
  });

  it('skips an entry whose blob is unreadable, telling onInvalid', () => {
    const invalid: string[] = [];
    const consumer = new SyncConsumer(undefined, (dn) => invalid.push(dn));
    consumer.startRefresh(undefined);
    const broken = conferenceEntry('broken');
    broken.attributes[2] = { type: 'conferenceBlob', values: [Buffer.from('not sdp')] };
    expect(consumer.entry(broken, state('add', 9))).toEqual([]);
    expect(invalid).toEqual([`uid=broken,${CONTAINER}`]);
  });
});
