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

beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
});
afterAll(() => server?.stop());

/** Adds an entry of the test's own (tests share the server, not entries), with `description`. */
async function probe(name: string, description = 'first'): Promise<string> {
  const dn = `cn=${name},ou=applications,${SUFFIX}`;
  const r = await ldapadd(server.url, ldifEntry(dn, { objectClass: ['person'], cn: name, sn: 'Probe', description }), alice);
  expect(r.code, r.stderr).toBe(0);
  return dn;
}

/** python3-ldap3 modifies `dn` and reads it back `rounds` times on one connection. */
async function modifyReadLoop(dn: string, rounds: number): Promise<void> {
  const r = await runPython<{ rounds: number; stale: unknown[] }>('modify_read_loop.py', [server.url, bindAs(ALICE).dn, ALICE.password, dn, String(rounds)], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(r.json).toEqual({ rounds, stale: [] });
}

describe('reads after writes', () => {
  it('every read on the writing connection shows the value just written (300 rounds)', async () => {
    await modifyReadLoop(await probe('Reuse Loop'), 300);
  });

  it('another connection sees the last write too', async () => {
    const dn = await probe('Reuse Other Connection');
    // Read first, so that whatever the server keeps of the entry predates the writes.
    const first = await ldapsearch(server.url, { base: dn, scope: 'base', attrs: ['description'] });
    expect(first.entries[0]?.get('description')).toEqual(['first']);
    await modifyReadLoop(dn, 20);
    const r = await ldapsearch(server.url, { base: dn, scope: 'base', attrs: ['description'] });
    expect(r.entries[0]?.get('description')).toEqual(['round 19']);
  });

  it('an entry deleted and added again under the same name is read with its new values', async () => {
    const dn = await probe('Reuse Recreated');
    for (const description of ['one', 'two', 'three']) {
      expect((await ldapdelete(server.url, [dn], alice)).code).toBe(0);
      expect((await ldapadd(server.url, ldifEntry(dn, { objectClass: ['person'], cn: 'Reuse Recreated', sn: 'Probe', description }), alice)).code).toBe(0);
      const r = await ldapsearch(server.url, { base: dn, scope: 'base', filter: `(description=${description})`, attrs: ['description'] });
      expect(r.entries.map((e) => e.get('description'))).toEqual([[description]]);
    }
  });
});
