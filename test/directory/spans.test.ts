import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDirectory } from '../../src/server/rendezvous.js';
import { sdp } from '../sdp/helpers.js';

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
});
