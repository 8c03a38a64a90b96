/**
 * The conference-end rule applies to every bounded conference, static or dynamic: it is
 * removed `--conference-grace` after its SDP stop time, from every read at once and from the
 * database by expiry, recorded as an expired change.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sdp } from '../sdp/helpers.js';
import { admin, attributes, DYNAMIC, openTestDirectory, read, START, SUFFIX, type TestDirectory } from './helpers.js';

/** NTP seconds of a time on the test clock. */
const ntp = (ms: number): number => Math.floor(ms / 1000) + 2_208_988_800;
const blob = (name: string, startMs: number, stopMs: number): string =>
  sdp('v=0', 'o=root 1 1 IN IP4 host.example', `s=${name}`, 'c=IN IP4 239.255.10.1/15', `t=${ntp(startMs)} ${ntp(stopMs)}`, 'm=audio 49170 RTP/AVP 0');

/** Lets the write batch (setImmediate) commit, and what waits on it run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

let t: TestDirectory;
afterEach(() => {
  t.close();
  vi.useRealTimers();
});

describe('a static bounded conference (added without dynamicObject)', () => {
  it.each([
    ['under ou=dynamic', DYNAMIC],
    ['in a static tree of its own', `ou=Archive,${SUFFIX}`],
  ])('%s: goes away an hour (the grace) after its stop time, as an expired change', async (_where, container) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = openTestDirectory();
    if (container !== DYNAMIC) t.directory.add(admin, container, attributes({ objectClass: ['organizationalUnit'], ou: 'Archive' }));
    const dn = `uid=Static,${container}`;
    const stop = START + 2 * 3_600_000;
    await t.writer.write({ op: 'add', identity: admin, dn, attributes: attributes({ objectClass: ['rtConference'], conferenceBlob: blob('Static', START + 3_600_000, stop) }) });
    expect(read(t.directory, dn, ['entryTTL'])?.get('entryttl')).toBeUndefined(); // static: no TTL
    const expired: string[] = [];
    t.directory.events.on('expired', (entry) => expired.push(entry.dn));
    t.directory.startExpiry();
    await settle();
    const advance = async (ms: number): Promise<void> => {
      t.clock.now += ms;
      vi.advanceTimersByTime(ms);
      await settle();
    };
    await advance(stop - START + 3_600_000 - 1000); // a second before stop time + grace
    expect(read(t.directory, dn)?.get('uid')).toEqual(['Static']);
    await advance(2000);
    expect(read(t.directory, dn)).toBeUndefined();
    expect(t.db.prepare('SELECT count(*) AS n FROM entries WHERE dn = ?').get(dn)).toEqual({ n: 0 });
    expect(expired).toEqual([dn]);
  });
});
