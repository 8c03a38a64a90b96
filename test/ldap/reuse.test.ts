/**
 * The server keeps parsed entries, views and encoded responses while an entry is unchanged;
 * these tests prove a read never shows anything but the last write, through the wire:
 * python3-ldap3 modifies and reads one entry back to back (writes often land in the same
 * millisecond), and an entry deleted and added again with other values is read fresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapadd, ldapdelete, ldapsearch, ldifEntry } from '../helpers/ldap-tools.js';
import { runPython } from '../helpers/python.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ALICE, bindAs, SUFFIX } from './fixtures/directory.js';

let server: TestServer;
const alice = { auth: bindAs(ALICE) };
const DN = `cn=Reuse Probe,ou=applications,${SUFFIX}`;

beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
  const r = await ldapadd(server.url, ldifEntry(DN, { objectClass: ['person'], cn: 'Reuse Probe', sn: 'Probe', description: 'first' }), alice);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => server?.stop());

describe('reads after writes', () => {
  it('every read on the writing connection shows the value just written (300 rounds)', async () => {
    const r = await runPython<{ rounds: number; stale: unknown[] }>('modify_read_loop.py', [server.url, bindAs(ALICE).dn, ALICE.password, DN, '300'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ rounds: 300, stale: [] });
  });

  it('another connection sees the last write too', async () => {
    const r = await ldapsearch(server.url, { base: DN, scope: 'base', attrs: ['description'] });
    expect(r.entries[0]?.get('description')).toEqual(['round 299']);
  });

  it('an entry deleted and added again under the same name is read with its new values', async () => {
    for (const description of ['one', 'two', 'three']) {
      expect((await ldapdelete(server.url, [DN], alice)).code).toBe(0);
      expect((await ldapadd(server.url, ldifEntry(DN, { objectClass: ['person'], cn: 'Reuse Probe', sn: 'Probe', description }), alice)).code).toBe(0);
      const r = await ldapsearch(server.url, { base: DN, scope: 'base', filter: `(description=${description})`, attrs: ['description'] });
      expect(r.entries.map((e) => e.get('description'))).toEqual([[description]]);
    }
  });
});
