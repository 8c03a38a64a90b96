/**
 * Entries are stored with their user attributes already encoded as a search result carries
 * them (schema/007), and a lookup by one indexed equality term is answered by the index alone
 * (no filter evaluation). Through the wire with ldapsearch: a search for all user attributes
 * (stored bytes) returns exactly what the same search naming every attribute returns (encoded
 * at search time); a modify rewrites the stored bytes; an entry stored without them (written
 * before the migration) is still served whole; the bytes in the database decode to the entry.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerReader } from '../../src/ldap/ber.js';
import { readAttributes } from '../../src/ldap/requests.js';
import { explain, ldapadd, ldapmodify, ldapsearch, ldifEntry, ldifModify, LDAP, type LdifEntry } from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ALICE, ALL_BYTES, bindAs, conferenceDn, conferenceLdif, DYNAMIC, WEEKLY_SYNC, type ConferenceSpec } from './fixtures/directory.js';

let server: TestServer;
const alice = { auth: bindAs(ALICE) };
const spec = (uid: string): ConferenceSpec => ({ ...WEEKLY_SYNC, uid });

beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
  for (const uid of ['Stored One', 'Stored Two']) {
    const r = await ldapadd(server.url, conferenceLdif(spec(uid), { ntSecurityDescriptor: ALL_BYTES, attendees: ['Zoë Ångström', '会议'] }), alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
  }
});
afterAll(() => server?.stop());

/** One-level search under ou=dynamic; `attrs` empty asks for all user attributes. */
async function find(filter: string, attrs: string[] = []): Promise<LdifEntry[]> {
  const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter, attrs });
  expect(r.code, explain(r)).toBe(LDAP.success);
  return r.entries;
}

/** An entry as comparable text: every attribute line, names lower-cased, values in base64, sorted. */
const text = (e: LdifEntry): string[] => e.lines.map((l) => `${l.name.toLowerCase()}: ${l.value.toString('base64')}`).sort();

/** The stored encoding of an entry, decoded: attribute name to values. */
function storedAttributes(uid: string): Map<string, readonly Buffer[]> | null {
  const db = new Database(server.dbPath, { readonly: true });
  try {
    const row = db.prepare('SELECT encoded FROM entries WHERE ndn = ?').get(`uid=${uid.toLowerCase()},ou=dynamic,o=intranet`) as { encoded: Buffer | null } | undefined;
    if (!row?.encoded) return null;
    const out = new Map<string, readonly Buffer[]>();
    for (const a of readAttributes(new BerReader(row.encoded).enter(0x30))) out.set(a.type.toLowerCase(), a.values);
    return out;
  } finally {
    db.close();
  }
}

describe('stored encodings', () => {
  it('a search for all user attributes returns what naming every attribute returns', async () => {
    for (const filter of ['(uid=Stored One)', '(uid=stored one*)', '(&(objectClass=rtConference)(uid=STORED ONE))']) {
      const [all] = await find(filter);
      expect(all, filter).toBeDefined();
      expect(all!.lowerNames()).toEqual(expect.arrayContaining(['uid', 'cn', 'conferenceblob', 'ntsecuritydescriptor', 'starttime', 'attendees']));
      const [named] = await find(filter, all!.names());
      expect(text(named!), filter).toEqual(text(all!));
      const [star] = await find(filter, ['*']);
      expect(text(star!), filter).toEqual(text(all!));
    }
  });

  it('stores the user attributes of each entry, encoded, with the entry', async () => {
    const stored = storedAttributes('Stored One');
    expect(stored).not.toBeNull();
    const [entry] = await find('(uid=Stored One)');
    expect([...stored!.keys()].sort()).toEqual(entry!.lowerNames());
    expect(stored!.get('ntsecuritydescriptor')).toEqual([ALL_BYTES]);
    expect(stored!.get('attendees')!.map((v) => v.toString('utf8'))).toEqual(['Zoë Ångström', '会议']);
    // Operational attributes are computed at search time, never stored.
    expect(stored!.has('entryttl') || stored!.has('createtimestamp')).toBe(false);
  });

  it('a modify rewrites the stored encoding: every kind of search reads the new values at once', async () => {
    const dn = conferenceDn('Stored Two');
    for (const value of ['first change', 'second change', 'third change']) {
      const r = await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'attendees', values: [value] }]), alice);
      expect(r.code, explain(r)).toBe(LDAP.success);
      for (const filter of ['(uid=Stored Two)', '(uid=Stored T*)', `(attendees=${value})`]) {
        const entries = await find(filter);
        expect(entries.map((e) => e.get('attendees')), filter).toEqual([[value]]);
      }
      expect(storedAttributes('Stored Two')!.get('attendees')!.map(String)).toEqual([value]);
    }
  });

  it('an entry stored without an encoding (before migration 007) is served whole, encoded at search time', async () => {
    const [before] = await find('(uid=Stored One)');
    const db = new Database(server.dbPath);
    try {
      db.prepare('UPDATE entries SET encoded = NULL WHERE ndn = ?').run('uid=stored one,ou=dynamic,o=intranet');
    } finally {
      db.close();
    }
    // Restart: nothing of the entry stays in the server's memory.
    await server.restart();
    expect(storedAttributes('Stored One')).toBeNull();
    const [after] = await find('(uid=Stored One)');
    expect(text(after!)).toEqual(text(before!));
  });

  it('a lookup by an indexed equality term finds exactly its entry, in any case, and nothing for other values', async () => {
    expect((await find('(uid=STORED one)')).map((e) => e.get('uid'))).toEqual([['Stored One']]);
    expect(await find('(uid=Stored)')).toEqual([]);
    expect(await find('(uid=Stored One )')).toHaveLength(1); // trailing space folds away (caseIgnoreMatch)
    const person = ldifEntry(`cn=stored.person@example.net,${DYNAMIC}`, { objectClass: ['rtPerson', 'dynamicObject'], cn: 'stored.person@example.net', sn: 'Person' });
    expect((await ldapadd(server.url, person, alice)).code).toBe(LDAP.success);
    expect((await find('(cn=Stored.Person@Example.NET)')).map((e) => e.dn.toLowerCase())).toEqual([`cn=stored.person@example.net,${DYNAMIC}`.toLowerCase()]);
  });
});
