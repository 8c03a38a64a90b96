import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/directory/index.js';
import { openDirectory } from '../../src/server/index.js';
import { toGeneralizedTime } from '../../src/sdp/time.js';
import { sdp } from '../sdp/helpers.js';
import { viewAttributes } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rendezvous-spans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('conference spans', () => {
  it('are rebuilt for a database whose span table is empty (one from before migration 004)', () => {
    const db = join(dir, 'r.db');
    const admin = { dn: 'cn=root', ndn: 'cn=root', admin: true, address: '127.0.0.1' };
    const ntp = Math.floor(Date.now() / 1000) + 2_208_988_800 + 3600;
    const first = openDirectory({ db, suffix: 'o=Intranet', ilsOpen: false, version: 't' });
    for (const uid of ['a', 'b']) {
      first.directory.add(admin, `uid=${uid},ou=dynamic,o=Intranet`, [
        { type: 'objectClass', values: [Buffer.from('rtConference')] },
        { type: 'conferenceBlob', values: [Buffer.from(sdp('v=0', 'o=- 1 1 IN IP4 h.example', `s=${uid}`, 'c=IN IP4 239.255.1.1/1', `t=${ntp} ${ntp + 600}`))] },
      ]);
    }
    first.db.close();
    const raw = new Database(db);
    expect(raw.prepare('SELECT count(*) AS n FROM conference_spans').get()).toEqual({ n: 2 });
    raw.exec('DELETE FROM conference_spans');
    raw.close();
    const second = openDirectory({ db, suffix: 'o=Intranet', ilsOpen: false, version: 't' });
    const spans = second.db.prepare('SELECT lo, hi FROM conference_spans ORDER BY id').all() as Array<{ lo: number; hi: number }>;
    second.db.close();
    expect(spans).toHaveLength(2);
    // 32-bit floats, rounded outwards: within a few minutes of the true bounds, never inside them.
    const start = ntp - 2_208_988_800;
    for (const { lo, hi } of spans) {
      expect(lo).toBeLessThanOrEqual(start);
      expect(start - lo).toBeLessThan(300);
      expect(hi).toBeGreaterThanOrEqual(start + 600);
      expect(hi - (start + 600)).toBeLessThan(300);
    }
  });

  it('a time window reads only conferences with a start and a stop: permanent and unbounded ones are not candidates', () => {
    const db = join(dir, 'window.db');
    const admin = { dn: 'cn=root', ndn: 'cn=root', admin: true, address: '127.0.0.1' };
    const now = Math.floor(Date.now() / 1000);
    const ntp = (unix: number): number => unix + 2_208_988_800;
    const { directory, db: handle, entries: store } = openDirectory({ db, suffix: 'o=Intranet', ilsOpen: false, version: 't' });
    const add = (uid: string, t: string): void => {
      directory.add(admin, `uid=${uid},ou=dynamic,o=Intranet`, [
        { type: 'objectClass', values: [Buffer.from('rtConference')] },
        { type: 'conferenceBlob', values: [Buffer.from(sdp('v=0', 'o=- 1 1 IN IP4 h.example', `s=${uid}`, `c=IN IP4 239.255.2.${uid.length}/1`, t))] },
      ]);
    };
    add('bounded', `t=${ntp(now + 3600)} ${ntp(now + 7200)}`);
    add('permanent', 't=0 0');
    add('unbounded-x', `t=${ntp(now + 3600)} 0`);
    const candidates = [...store.scan({ scope: 'sub', baseNdn: '', basePath: '', index: { op: 'span', from: now + 3000, to: now + 4000 }, now: Date.now() })].map((e) => e.attributes.uid?.[0]);
    handle.close();
    expect(candidates).toEqual(['bounded']);
  });

  it('answers start- and stop-time terms exactly at every second, though the R*Tree rounds to 32-bit floats', () => {
    // Times one second apart on each side of float32 steps (128 s apart here): a bound that the
    // R*Tree's rounding put on the wrong side would lose a conference.
    const db = join(dir, 'edges.db');
    const admin = { dn: 'cn=root', ndn: 'cn=root', admin: true, address: '127.0.0.1' };
    const { directory, db: handle } = openDirectory({ db, suffix: 'o=Intranet', ilsOpen: false, version: 't' });
    const step = 1_900_000_000 - (1_900_000_000 % 128);
    const starts = [step - 129, step - 128, step - 127, step - 1, step, step + 1, step + 63, step + 64, step + 65, step + 127];
    const stopOf = (start: number): number => start + 1000 + (start % 7);
    starts.forEach((start, i) => {
      directory.add(admin, `uid=c${i},ou=dynamic,o=Intranet`, [
        { type: 'objectClass', values: [Buffer.from('rtConference')] },
        { type: 'conferenceBlob', values: [Buffer.from(sdp('v=0', 'o=- 1 1 IN IP4 h.example', `s=c${i}`, `i=Weekly review ${i}`, `c=IN IP4 239.255.3.${i}/1`, `t=${start + 2_208_988_800} ${stopOf(start) + 2_208_988_800}`))] },
      ]);
    });
    const found = (filter: string): string[] =>
      [...directory.search(admin, { base: 'ou=dynamic,o=Intranet', scope: 'one', filter: parseFilter(filter), attributes: ['uid'], typesOnly: false })]
        .map((r) => viewAttributes(r.view).find((a) => a.name === 'uid')!.values[0]!)
        .sort();
    const expected = (keep: (start: number, stop: number) => boolean): string[] =>
      starts.flatMap((start, i) => (keep(start, stopOf(start)) ? [`c${i}`] : [])).sort();
    const gt = (seconds: number): string => toGeneralizedTime(new Date(seconds * 1000));
    for (const t of [...starts, ...starts.map(stopOf)].flatMap((x) => [x - 1, x, x + 1])) {
      expect(found(`(startTime>=${gt(t)})`), `startTime>=${t}`).toEqual(expected((start) => start >= t));
      expect(found(`(startTime<=${gt(t)})`), `startTime<=${t}`).toEqual(expected((start) => start <= t));
      expect(found(`(startTime=${gt(t)})`), `startTime=${t}`).toEqual(expected((start) => start === t));
      expect(found(`(stopTime>=${gt(t)})`), `stopTime>=${t}`).toEqual(expected((_, stop) => stop >= t));
      expect(found(`(stopTime<=${gt(t)})`), `stopTime<=${t}`).toEqual(expected((_, stop) => stop <= t));
      expect(found(`(stopTime=${gt(t)})`), `stopTime=${t}`).toEqual(expected((_, stop) => stop === t));
    }
    expect(found('(startTime=*)')).toHaveLength(starts.length);
    // The span table holds the times; entry_index keeps no rows of them (nor of descriptions).
    expect(handle.prepare("SELECT count(*) FROM entry_index WHERE attr IN ('starttime', 'stoptime', 'generaldescription')").pluck().get()).toBe(0);
    expect(handle.prepare("SELECT count(*) FROM entry_index WHERE attr = 'uid'").pluck().get()).toBe(starts.length);
    handle.close();
  });
});
