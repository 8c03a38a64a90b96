/**
 * Entries are stored with their user attributes encoded as a search result carries them
 * (schema/007, 010), and only so, and a lookup by one indexed equality term is answered by
 * the index alone (no filter evaluation). Through the wire with ldapsearch: a search for all
 * user attributes (stored bytes) returns exactly what the same search naming every attribute
 * returns (encoded at search time); a modify rewrites the stored bytes; the bytes in the
 * database decode to the entry. Searches for all user attributes evaluate their filter on the
 * stored bytes: they find what the same filter finds on the attributes. An entry with an
 * empty value (which a result leaves out) is stored with that value in its encoding, marked
 * as not what a result sends: filters see the value, results leave it out.
 * (test/store/row-shapes.test.ts covers databases written in the older shapes.)
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerReader } from '../../src/protocol/index.js';
import { readAttributes } from '../../src/ldap/requests.js';
import { explain, ldapadd, ldapmodify, ldapsearch, ldifEntry, ldifModify, LDAP, LdifEntry } from '../helpers/ldap-tools.js';
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

/** The stored row of an entry: its encoding, decoded (attribute name to values), and whether a result sends it as it is. */
function storedRow(ndn: string): { attributes: Map<string, readonly Buffer[]>; sendable: number } {
  const db = new Database(server.dbPath, { readonly: true });
  try {
    const row = db.prepare('SELECT encoded, sendable FROM entries WHERE ndn = ?').get(ndn) as { encoded: Buffer; sendable: number };
    const attributes = new Map<string, readonly Buffer[]>();
    for (const a of readAttributes(new BerReader(row.encoded).enter(0x30))) attributes.set(a.type.toLowerCase(), a.values);
    return { attributes, sendable: row.sendable };
  } finally {
    db.close();
  }
}

/** The stored encoding of a conference, decoded. */
const storedAttributes = (uid: string): Map<string, readonly Buffer[]> => storedRow(`uid=${uid.toLowerCase()},ou=dynamic,o=intranet`).attributes;

describe('stored encodings', () => {
  it('a search for all user attributes returns what naming every attribute returns', async () => {
    for (const filter of ['(uid=Stored One)', '(uid=stored one*)', '(&(objectClass=rtConference)(uid=STORED ONE))']) {
      const [all] = await find(filter);
      expect(all, filter).toBeDefined();
      expect(all!.lowerNames()).toEqual(expect.arrayContaining(['uid', 'conferenceblob', 'ntsecuritydescriptor', 'starttime', 'attendees']));
      const [named] = await find(filter, all!.names());
      expect(text(named!), filter).toEqual(text(all!));
      const [star] = await find(filter, ['*']);
      expect(text(star!), filter).toEqual(text(all!));
    }
  });

  it('a search naming attributes sends those of the stored bytes, as the entry has them, in any case or by another name', async () => {
    const [all] = await find('(uid=Stored One)');
    const pick = (names: string[]): string[] => text(new LdifEntry(all!.dn, all!.lines.filter((l) => names.includes(l.name.toLowerCase()))));
    for (const [asked, expected] of [
      [['uid', 'conferenceBlob'], ['uid', 'conferenceblob']],
      [['startTime', 'STOPTIME', 'generalDescription'], ['starttime', 'stoptime', 'generaldescription']],
      [['commonName', 'attendees', 'nosuchattribute'], ['cn', 'attendees']],
      [['ntSecurityDescriptor'], ['ntsecuritydescriptor']],
    ] as const) {
      const [named] = await find('(uid=Stored One)', [...asked]);
      expect(text(named!), asked.join(' ')).toEqual(pick([...expected]));
    }
    // No attributes, and names that mix in a computed one: as before.
    const [none] = await find('(uid=Stored One)', ['1.1']);
    expect(none!.names()).toEqual([]);
    const [mixed] = await find('(uid=Stored One)', ['uid', 'createTimestamp']);
    expect(mixed!.lowerNames().sort()).toEqual(['createtimestamp', 'uid']);
  });

  it('answers each attribute list as asked, however often and in whatever order lists come (each is read once and kept)', async () => {
    const [all] = await find('(uid=Stored One)');
    const pick = (names: string[]): string[] => text(new LdifEntry(all!.dn, all!.lines.filter((l) => names.includes(l.name.toLowerCase()))));
    // Lists that differ only in case, order or an option, and lists that look alike joined:
    // asked in turns, each gets its own answer every time.
    const cases: Array<[asked: string[], expected: string[] | 'all' | 'none']> = [
      [['uid', 'conferenceBlob'], ['uid', 'conferenceblob']],
      [['UID', 'CONFERENCEBLOB'], ['uid', 'conferenceblob']],
      [['conferenceBlob', 'uid'], ['uid', 'conferenceblob']],
      [['uid'], ['uid']],
      [['uid', ''], ['uid']],
      [['', 'uid'], ['uid']],
      [['ntSecurityDescriptor;binary'], ['ntsecuritydescriptor']],
      [['nosuchattribute'], 'none'],
      [['1.1'], 'none'],
      [['uid', '*'], 'all'],
      [['*', 'uid'], 'all'],
      [[], 'all'],
    ];
    for (let round = 0; round < 2; round += 1) {
      for (const [asked, expected] of cases) {
        const [entry] = await find('(uid=Stored One)', asked);
        const label = `round ${round}: ${JSON.stringify(asked)}`;
        if (expected === 'all') expect(text(entry!), label).toEqual(text(all!));
        else if (expected === 'none') expect(entry!.names(), label).toEqual([]);
        else expect(text(entry!), label).toEqual(pick(expected));
      }
    }
    // All user attributes and the operational ones, computed per entry.
    const [both] = await find('(uid=Stored One)', ['*', '+']);
    expect(both!.lowerNames()).toEqual(expect.arrayContaining([...all!.lowerNames(), 'createtimestamp', 'entryuuid', 'structuralobjectclass']));
    const [plus] = await find('(uid=Stored One)', ['+']);
    expect(plus!.lowerNames()).not.toContain('uid');
    expect(plus!.lowerNames()).toContain('entryuuid');
  });

  it('stores the user attributes of each entry, encoded, with the entry, and only so', async () => {
    const { attributes: stored, sendable } = storedRow('uid=stored one,ou=dynamic,o=intranet');
    expect(sendable).toBe(1);
    const [entry] = await find('(uid=Stored One)');
    expect([...stored.keys()].sort()).toEqual(entry!.lowerNames());
    expect(stored.get('ntsecuritydescriptor')).toEqual([ALL_BYTES]);
    expect(stored.get('attendees')!.map((v) => v.toString('utf8'))).toEqual(['Zoë Ångström', '会议']);
    // Operational attributes are computed at search time, never stored.
    expect(stored.has('entryttl') || stored.has('createtimestamp')).toBe(false);
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
      expect(storedAttributes('Stored Two').get('attendees')!.map(String)).toEqual([value]);
    }
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

  it('an entry with an empty value is stored with it, not as what a result sends, and filters see the value', async () => {
    const dn = `cn=empty.guid@example.net,${DYNAMIC}`;
    const ldif = `dn: ${dn}\nobjectClass: rtPerson\nobjectClass: dynamicObject\ncn: empty.guid@example.net\nsn: Person\nguid:\nmimeType: text/iuls\n\n`;
    const r = await ldapadd(server.url, ldif, alice);
    expect(r.code, explain(r)).toBe(LDAP.success);
    const row = storedRow(dn.toLowerCase());
    expect(row.sendable).toBe(0);
    expect(row.attributes.get('guid')).toEqual([Buffer.alloc(0)]);
    expect(row.attributes.get('mimetype')).toEqual([Buffer.from('text/iuls')]);
    for (const filter of ['(&(cn=empty.guid@example.net)(guid=*))', '(&(cn=empty.guid@example.net)(guid=))', '(&(cn=empty.guid*)(guid=*))']) {
      const [entry] = await find(filter);
      expect(entry?.dn.toLowerCase(), filter).toBe(dn.toLowerCase());
      // A result leaves empty values out, as before.
      expect(entry!.lowerNames(), filter).not.toContain('guid');
      expect(entry!.get('mimeType'), filter).toEqual(['text/iuls']);
    }
    // Given a value, the entry is stored as what a result sends again.
    const m = await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'guid', values: ['g1'] }]), alice);
    expect(m.code, explain(m)).toBe(LDAP.success);
    expect(storedRow(dn.toLowerCase()).sendable).toBe(1);
    expect((await find('(cn=empty.guid@example.net)')).map((e) => e.get('guid'))).toEqual([['g1']]);
  });
});
