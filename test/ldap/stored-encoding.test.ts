/**
 * Entries are stored with their user attributes encoded as a search result carries them
 * (schema/007), and only so (no JSON beside), and a lookup by one indexed equality term is
 * answered by the index alone (no filter evaluation). Through the wire with ldapsearch: a
 * search for all user attributes (stored bytes) returns exactly what the same search naming
 * every attribute returns (encoded at search time); a modify rewrites the stored bytes; an
 * entry stored without them (written before the migration) is still served whole; the bytes
 * in the database decode to the entry. Searches for all user attributes evaluate their filter
 * on the stored bytes: they find what the same filter finds on the attributes, and an entry
 * with an empty value (which a result leaves out) is stored as JSON, so filters see that value.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerReader } from '../../src/protocol/index.js';
import { readAttributes } from '../../src/ldap/requests.js';
import { explain, ldapadd, ldapmodify, ldapsearch, ldifEntry, ldifModify, LDAP, type LdifEntry } from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ALICE, ALL_BYTES, at, bindAs, conferenceDn, conferenceLdif, DYNAMIC, generalizedTime, WEEKLY_SYNC, type ConferenceSpec } from './fixtures/directory.js';

let server: TestServer;
const alice = { auth: bindAs(ALICE) };
const spec = (uid: string): ConferenceSpec => ({ ...WEEKLY_SYNC, uid });

beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
  for (const uid of ['Stored One', 'Stored Two', 'Stored Extra']) {
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

/** Changes one entry's row in the database, then restarts the server so nothing of it stays in memory. */
async function changeRow(sql: string, ...params: Array<string | null>): Promise<void> {
  const db = new Database(server.dbPath);
  try {
    expect(db.prepare(sql).run(...params).changes).toBe(1);
  } finally {
    db.close();
  }
  await server.restart();
}

/** The JSON an entry was stored as before its encoding was its only copy (binary values as latin1). */
const jsonOf = (stored: Map<string, readonly Buffer[]>): string =>
  JSON.stringify(Object.fromEntries([...stored].map(([key, values]) => [key, values.map((v) => v.toString(key === 'ntsecuritydescriptor' ? 'latin1' : 'utf8'))])));

/** The JSON column of an entry: '' when its encoding is its only copy. */
function storedJson(uid: string): string | undefined {
  const db = new Database(server.dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT attributes FROM entries WHERE ndn = ?').get(`uid=${uid.toLowerCase()},ou=dynamic,o=intranet`) as { attributes: string } | undefined)?.attributes;
  } finally {
    db.close();
  }
}

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

  it('stores the user attributes of each entry, encoded, with the entry, and only so', async () => {
    const stored = storedAttributes('Stored One');
    expect(stored).not.toBeNull();
    expect(storedJson('Stored One')).toBe('');
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
    await changeRow('UPDATE entries SET attributes = ?, encoded = NULL WHERE ndn = ?', jsonOf(storedAttributes('Stored One')!), 'uid=stored one,ou=dynamic,o=intranet');
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

  it('evaluates filters on the stored encoding: the entries a search reading the attributes finds', async () => {
    const window = `(&(objectClass=rtConference)(startTime<=${generalizedTime(at(20, 10, 30))})(stopTime>=${generalizedTime(at(20, 10, 15))}))`;
    const filters: Array<[filter: string, found: number]> = [
      ['(uid=stored*)', 3],
      ['(uid=*o*e)', 1],
      ['(attendees=*ngstr*)', 2],
      ['(attendees=ZOË ÅNGSTRÖM)', 2],
      [window, 3],
      ['(ntSecurityDescriptor=*)', 3],
      ['(&(uid=stored*)(!(uid=Stored One)))', 2],
      ['(|(uid=Stored Two)(cn=no such conference))', 1],
      ['(&(uid=stored*)(structuralObjectClass=rtConference))', 3],
      ['(&(uid=stored*)(createTimestamp>=20000101000000Z))', 3],
      ['(uid:caseExactMatch:=Stored One)', 1],
      ['(&(uid=stored*)(ou:dn:=dynamic))', 3],
      ['(&(uid=stored*)(stopTime<=19991231000000Z))', 0],
    ];
    for (const [filter, found] of filters) {
      const all = (await find(filter)).map((e) => e.dn).sort();
      const named = (await find(filter, ['uid'])).map((e) => e.dn).sort();
      expect(all, filter).toEqual(named);
      expect(all.filter((dn) => /^uid=stored /i.test(dn)), filter).toHaveLength(found);
    }
  });

  it('a search for all user attributes reads the stored encoding, not the attributes', async () => {
    // A row with both copies (as written before the encoding was the only one), made to
    // disagree: only the search that reads the encoding finds the encoded attendee.
    const stored = storedAttributes('Stored Extra')!;
    stored.set('attendees', [Buffer.from('someone else')]);
    await changeRow('UPDATE entries SET attributes = ? WHERE ndn = ?', jsonOf(stored), 'uid=stored extra,ou=dynamic,o=intranet');
    const uids = (entries: LdifEntry[]): string[] => entries.map((e) => e.get('uid')![0]!);
    expect(uids(await find('(&(uid=stored extra)(attendees=*ngstr*))'))).toEqual(['Stored Extra']);
    expect(uids(await find('(&(uid=stored extra)(attendees=*ngstr*))', ['uid']))).toEqual([]);
    expect(uids(await find('(&(uid=stored extra)(attendees=*one else))', ['uid']))).toEqual(['Stored Extra']);
  });

  it('an entry with an empty value is stored without an encoding, and filters see the value', async () => {
    const dn = `cn=empty.guid@example.net,${DYNAMIC}`;
    const ldif = `dn: ${dn}\nobjectClass: rtPerson\nobjectClass: dynamicObject\ncn: empty.guid@example.net\nsn: Person\nguid:\nmimeType: text/iuls\n\n`;
    const r = await ldapadd(server.url, ldif, alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
    const db = new Database(server.dbPath, { readonly: true });
    try {
      const row = db.prepare('SELECT attributes, encoded FROM entries WHERE ndn = ?').get(dn.toLowerCase()) as { attributes: string; encoded: Buffer | null };
      expect(row.encoded).toBeNull();
      expect(JSON.parse(row.attributes)).toMatchObject({ guid: [''], mimetype: ['text/iuls'] });
    } finally {
      db.close();
    }
    for (const filter of ['(&(cn=empty.guid@example.net)(guid=*))', '(&(cn=empty.guid@example.net)(guid=))', '(&(cn=empty.guid*)(guid=*))']) {
      const [entry] = await find(filter);
      expect(entry?.dn.toLowerCase(), filter).toBe(dn.toLowerCase());
      // A result leaves empty values out, as before.
      expect(entry!.lowerNames(), filter).not.toContain('guid');
      expect(entry!.get('mimeType'), filter).toEqual(['text/iuls']);
    }
  });
});
