/**
 * The `multicastClash` flag stays true on every conference, not only on the one written: a
 * clash is mutual, so when a conference is added, moves to another group or time, is deleted
 * or ends, the conferences it clashed with are flagged again in the same transaction, each
 * change recorded as a modification.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sdp } from '../sdp/helpers.js';
import { admin, attributes, change, DYNAMIC, openTestDirectory, read, START, type TestDirectory } from './helpers.js';

const HOUR = 3_600_000;
/** NTP seconds of a time on the test clock. */
const ntp = (ms: number): number => Math.floor(ms / 1000) + 2_208_988_800;
/** A conference on `group` from `fromHour` to `toHour` hours after the test clock's start. */
const blob = (name: string, group: string, fromHour: number, toHour: number): string =>
  sdp('v=0', 'o=root 1 1 IN IP4 host.example', `s=${name}`, `c=IN IP4 ${group}/15`, `t=${ntp(START + fromHour * HOUR)} ${ntp(START + toHour * HOUR)}`, 'm=audio 49170 RTP/AVP 0');
const dnOf = (uid: string): string => `uid=${uid},${DYNAMIC}`;

let t: TestDirectory;
afterEach(() => {
  t.close();
  vi.useRealTimers();
});

/** The conferences the flag of `uid` names now. */
function flagged(uid: string): string[] {
  return (read(t.directory, dnOf(uid), ['multicastClash'])?.get('multicastclash') ?? []).map((v) => v.split(' ')[1]!).sort();
}

const add = (uid: string, group: string, fromHour: number, toHour: number): Promise<unknown> =>
  t.writer.write({ op: 'add', identity: admin, dn: dnOf(uid), attributes: attributes({ objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: blob(uid, group, fromHour, toHour) }) });

describe('the multicastClash flag', () => {
  it('names the later conference on the earlier one too, and is recorded as a modification', async () => {
    t = openTestDirectory();
    const modified: string[] = [];
    t.directory.events.on('modified', (entry) => modified.push(entry.dn));
    await add('A', '239.255.1.1', 1, 3);
    await add('B', '239.255.1.1', 2, 4);
    expect(flagged('B')).toEqual([dnOf('A')]);
    expect(flagged('A')).toEqual([dnOf('B')]);
    expect(modified).toEqual([dnOf('A')]);
  });

  it('goes when the other conference is deleted', async () => {
    t = openTestDirectory();
    await add('A', '239.255.1.1', 1, 3);
    await add('B', '239.255.1.1', 2, 4);
    await t.writer.write({ op: 'delete', identity: admin, dn: dnOf('B') });
    expect(flagged('A')).toEqual([]);
  });

  it('follows the other conference to another group or time, and back', async () => {
    t = openTestDirectory();
    await add('A', '239.255.1.1', 1, 3);
    await add('B', '239.255.1.1', 2, 4);
    await add('C', '239.255.1.2', 1, 3);
    const move = (group: string, fromHour: number, toHour: number) =>
      t.writer.write({ op: 'modify', identity: admin, dn: dnOf('B'), changes: [change('replace', 'conferenceBlob', blob('B', group, fromHour, toHour))] });
    await move('239.255.1.2', 2, 4);
    expect(flagged('A')).toEqual([]);
    expect(flagged('C')).toEqual([dnOf('B')]);
    expect(flagged('B')).toEqual([dnOf('C')]);
    await move('239.255.1.2', 5, 6); // same group, later: no overlap
    expect(flagged('C')).toEqual([]);
    expect(flagged('B')).toEqual([]);
    await move('239.255.1.1', 2, 4);
    expect(flagged('A')).toEqual([dnOf('B')]);
    expect(flagged('B')).toEqual([dnOf('A')]);
  });

  it('goes when the other conference ends and expiry removes it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = openTestDirectory({ ttl: { defaultTtl: 86_400, minTtl: 60, maxTtl: 86_400 } });
    await add('Long', '239.255.1.1', 1, 20);
    await add('Short', '239.255.1.1', 1, 2);
    expect(flagged('Long')).toEqual([dnOf('Short')]);
    t.directory.startExpiry();
    const ms = 3 * HOUR + 1000; // Short's stop time and the hour of grace
    t.clock.now += ms;
    vi.advanceTimersByTime(ms);
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(flagged('Long')).toEqual([]);
  });

  it('stays as it is when a modify leaves the blob as it was, and no other conference is flagged again', async () => {
    t = openTestDirectory();
    await add('A', '239.255.1.1', 1, 3);
    await add('B', '239.255.1.1', 2, 4);
    await add('C', '239.255.1.2', 1, 3);
    const modified: string[] = [];
    t.directory.events.on('modified', (entry) => modified.push(entry.dn));
    await t.writer.write({ op: 'modify', identity: admin, dn: dnOf('B'), changes: [change('replace', 'contactInformation', 'room 4')] });
    expect(flagged('B')).toEqual([dnOf('A')]);
    expect(flagged('A')).toEqual([dnOf('B')]);
    expect(flagged('C')).toEqual([]);
    expect(modified).toEqual([dnOf('B')]);
  });

  it("follows a MADCAP lease on the conference's own writes, a modify that leaves the blob as it was included", async () => {
    t = openTestDirectory();
    // The scope's first address, which the allocator grants first.
    const probe = t.allocator.request({ leaseId: 'probe', scopeId: '239.255.0.0', start: START + 5 * HOUR, duration: HOUR });
    if (!probe.ok) throw new Error(probe.message);
    const group = probe.lease.first;
    t.allocator.release('probe');
    await add('A', group, 1, 3);
    await add('B', group, 2, 4);
    expect(flagged('B')).toEqual([dnOf('A')]);
    const lease = t.allocator.request({ leaseId: 'held', scopeId: '239.255.0.0', start: START + 2 * HOUR, duration: HOUR });
    if (!lease.ok) throw new Error(lease.message);
    expect(lease.lease.first).toBe(group);
    const touch = (value: string): Promise<unknown> => t.writer.write({ op: 'modify', identity: admin, dn: dnOf('B'), changes: [change('replace', 'contactInformation', value)] });
    await touch('room 4');
    expect(flagged('B')).toEqual(['MADCAP', dnOf('A')].sort());
    expect(read(t.directory, dnOf('B'), ['multicastClash'])?.get('multicastclash')).toContain(`${group} MADCAP lease held`);
    t.allocator.release('held');
    await touch('room 5');
    expect(flagged('B')).toEqual([dnOf('A')]);
  });
});
