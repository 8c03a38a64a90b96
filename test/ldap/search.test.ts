/**
 * Search through the wire with ldapsearch: scopes, every filter type with schema-aware
 * matching, DNs in any case and escaping, derived conference attributes, limits, typesOnly,
 * attribute selection, paged results and controls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnKey, dnKeys, explain, ldapadd, ldapsearch, LDAP, type SearchOptions, type SearchResult } from '../helpers/ldap-tools.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  ALICE,
  ALICE_APP_USER,
  ALICE_PERSON,
  BOB_PERSON,
  CONFERENCES,
  DESIGN_REVIEW,
  DYNAMIC,
  LUNCH,
  EARLY_STANDUP,
  REUNION,
  SUFFIX,
  WEEKLY_PLANNING,
  WEEKLY_SYNC,
  bindAs,
  conferenceBlob,
  conferenceDn,
  derivedAttributes,
  generalizedTime,
  generalizedTimePlus0100,
  START_THRESHOLD,
  STOP_THRESHOLD,
  personDn,
  sampleDirectoryDns,
  NETMEETING,
  sampleDirectoryLdif,
  type ConferenceSpec,
} from './fixtures/directory.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ accounts: [ALICE] });
  const r = await ldapadd(server.url, sampleDirectoryLdif(), { auth: bindAs(ALICE) });
  expect(r.code, explain(r)).toBe(LDAP.success);
});
afterAll(() => server.stop());

async function search(options: SearchOptions): Promise<SearchResult> {
  return ldapsearch(server.url, options);
}

/** Searches and expects success with exactly these DNs (any order, any case). */
async function expectDns(options: SearchOptions, dns: string[]): Promise<SearchResult> {
  const r = await search(options);
  expect(r.code, explain(r)).toBe(LDAP.success);
  expect(dnKeys(r.entries), `${options.filter ?? ''} under ${options.base}\n${explain(r)}`).toEqual(dns.map(dnKey).sort());
  return r;
}

const conf = (...specs: ConferenceSpec[]): string[] => specs.map((c) => conferenceDn(c.uid));
const ALL_CONFERENCES = conf(...CONFERENCES);
const ALL_PEOPLE = [personDn(ALICE_PERSON.cn), personDn(BOB_PERSON.cn)];
/** One-level search of conferences. */
const inDynamic = (filter: string, extra: Partial<SearchOptions> = {}): SearchOptions => ({ base: DYNAMIC, scope: 'one', filter, attrs: ['1.1'], ...extra });

describe('scopes', () => {
  it('base returns the base entry only', async () => {
    await expectDns({ base: DYNAMIC, scope: 'base' }, [DYNAMIC]);
  });

  it('one returns the children only', async () => {
    await expectDns({ base: DYNAMIC, scope: 'one' }, [...ALL_CONFERENCES, ...ALL_PEOPLE]);
  });

  it('sub returns the base and everything below: the whole sample directory, and no account entries', async () => {
    await expectDns({ base: SUFFIX, scope: 'sub', attrs: ['1.1'] }, sampleDirectoryDns());
  });

  it('base with a filter that does not match returns nothing and succeeds', async () => {
    await expectDns({ base: DYNAMIC, scope: 'base', filter: '(objectClass=rtConference)' }, []);
  });

  it('a base that does not exist is noSuchObject (32) with the deepest existing entry as matchedDN', async () => {
    const r = await search({ base: `uid=Nothing,${DYNAMIC}`, scope: 'sub' });
    expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
    expect(dnKey(r.matchedDN ?? ''), explain(r)).toBe(dnKey(DYNAMIC));
    const deeper = await search({ base: `cn=x,ou=nowhere,${SUFFIX}`, scope: 'one' });
    expect(deeper.code, explain(deeper)).toBe(LDAP.noSuchObject);
    expect(dnKey(deeper.matchedDN ?? ''), explain(deeper)).toBe(dnKey(SUFFIX));
  });

  it('a base outside the naming context is noSuchObject (32)', async () => {
    const r = await search({ base: 'o=Elsewhere', scope: 'base' });
    expect(r.code, explain(r)).toBe(LDAP.noSuchObject);
  });

  it('a base that is not a DN is invalidDNSyntax (34)', async () => {
    const r = await search({ base: 'this is not a DN', scope: 'base' });
    expect(r.code, explain(r)).toBe(LDAP.invalidDNSyntax);
  });
});

describe('DNs', () => {
  it('are matched case-insensitively: -b OU=Dynamic,O=INTRANET', async () => {
    await expectDns({ base: 'OU=Dynamic,O=INTRANET', scope: 'one', attrs: ['1.1'] }, [...ALL_CONFERENCES, ...ALL_PEOPLE]);
  });

  it('a conference is found by its DN in another case, and returned with the DN as stored', async () => {
    const r = await expectDns({ base: `uid=weekly sync,ou=DYNAMIC,o=intranet`, scope: 'base', attrs: ['uid'] }, [conferenceDn(WEEKLY_SYNC.uid)]);
    expect(r.entries[0]!.dn).toBe(conferenceDn(WEEKLY_SYNC.uid));
  });

  it('accept spaces after the commas, as Phone Dialer writes them ("ou=dynamic, o=Intranet")', async () => {
    await expectDns({ base: 'ou=dynamic, o=Intranet', scope: 'one', filter: '(uid=*)', attrs: ['1.1'] }, ALL_CONFERENCES);
  });

  it('escaped RDN values are equal whatever the escaping: uid=Lunch\\, Friday and uid=Lunch\\2C Friday', async () => {
    for (const base of [`uid=Lunch\\, Friday,${DYNAMIC}`, `uid=Lunch\\2C Friday,${DYNAMIC}`, `uid=lunch\\2c friday,${DYNAMIC}`]) {
      const r = await expectDns({ base, scope: 'base', attrs: ['uid'] }, conf(LUNCH));
      expect(r.entries[0]!.get('uid')).toEqual([LUNCH.uid]);
    }
  });

  it('non-ASCII RDN values, hex-escaped UTF-8 or not, in any case', async () => {
    for (const base of [`uid=Réunion Café,${DYNAMIC}`, `uid=R\\C3\\A9union Caf\\C3\\A9,${DYNAMIC}`, `uid=RÉUNION CAFÉ,${DYNAMIC}`]) {
      await expectDns({ base, scope: 'base', attrs: ['1.1'] }, conf(REUNION));
    }
  });
});

describe('filters', () => {
  it('equality', async () => {
    await expectDns(inDynamic('(uid=Weekly Sync)'), conf(WEEKLY_SYNC));
  });

  it('equality is case-insensitive for caseIgnoreMatch attributes, and attribute names are too', async () => {
    await expectDns(inDynamic('(uid=WEEKLY SYNC)'), conf(WEEKLY_SYNC));
    await expectDns(inDynamic('(UID=weekly sync)'), conf(WEEKLY_SYNC));
    await expectDns(inDynamic('(location=seattle)'), [personDn(ALICE_PERSON.cn)]);
  });

  it('equality with insignificant spaces (caseIgnoreMatch prepares strings, RFC 4518)', async () => {
    await expectDns(inDynamic('(uid=Weekly  Sync)'), conf(WEEKLY_SYNC));
    await expectDns(inDynamic('(uid= Weekly Sync )'), conf(WEEKLY_SYNC));
  });

  it('equality and substrings on non-ASCII text (UTF-8 assertion values), ignoring case', async () => {
    await expectDns(inDynamic('(uid=Réunion Café)'), conf(REUNION));
    await expectDns(inDynamic('(uid=RÉUNION CAFÉ)'), conf(REUNION));
    await expectDns(inDynamic('(uid=réunion*)'), conf(REUNION));
    await expectDns(inDynamic('(generalDescription=*équipe*)'), conf(REUNION));
  });

  it('objectClass values match in any case', async () => {
    await expectDns(inDynamic('(objectClass=RTCONFERENCE)'), ALL_CONFERENCES);
    await expectDns(inDynamic('(objectclass=rtperson)'), ALL_PEOPLE);
    await expectDns(inDynamic('(objectClass=DynamicObject)'), [...ALL_CONFERENCES, ...ALL_PEOPLE]);
  });

  it('a conference added without cn gets none, so (cn=*) finds people only (TAPI Find People, [MS-TAIL] 4.9.2)', async () => {
    await expectDns(inDynamic('(cn=Weekly Sync)'), []);
    await expectDns(inDynamic('(cn=*)'), ALL_PEOPLE);
    const r = await search({ base: conferenceDn(DESIGN_REVIEW.uid), scope: 'base', attrs: ['cn'] });
    expect(r.entries[0]?.has('cn'), explain(r)).toBe(false);
  });

  it('substrings: initial, final, any, and several parts, case-insensitively', async () => {
    await expectDns(inDynamic('(uid=weekly*)'), conf(WEEKLY_SYNC, WEEKLY_PLANNING));
    await expectDns(inDynamic('(uid=Weekly*)'), conf(WEEKLY_SYNC, WEEKLY_PLANNING));
    await expectDns(inDynamic('(uid=*SYNC)'), conf(WEEKLY_SYNC));
    await expectDns(inDynamic('(uid=*view*)'), conf(DESIGN_REVIEW));
    await expectDns(inDynamic('(uid=w*k*y*n*)'), conf(WEEKLY_SYNC, WEEKLY_PLANNING));
    await expectDns(inDynamic('(uid=*nomatch*)'), []);
    await expectDns(inDynamic('(cn=*builder)'), [personDn(BOB_PERSON.cn)]);
  });

  it('substrings on the blob are case-exact (caseExactSubstringsMatch)', async () => {
    await expectDns(inDynamic('(conferenceBlob=*k=clear:*)'), conf(DESIGN_REVIEW, REUNION));
    await expectDns(inDynamic('(conferenceBlob=*K=CLEAR:*)'), []);
  });

  it('present', async () => {
    await expectDns(inDynamic('(conferenceBlob=*)'), ALL_CONFERENCES);
    await expectDns(inDynamic('(ipAddress=*)'), ALL_PEOPLE);
    await expectDns(inDynamic('(url=*)'), conf(WEEKLY_SYNC));
  });

  it('greater-or-equal and less-or-equal order generalizedTime: (stopTime>=YYYYMMDDHHMMSSZ)', async () => {
    const stop = generalizedTime(STOP_THRESHOLD);
    const start = generalizedTime(START_THRESHOLD);
    await expectDns(inDynamic(`(stopTime>=${stop})`), conf(WEEKLY_SYNC, WEEKLY_PLANNING, LUNCH, REUNION));
    await expectDns(inDynamic(`(startTime<=${start})`), conf(DESIGN_REVIEW, EARLY_STANDUP));
    await expectDns(inDynamic(`(&(objectClass=rtConference)(stopTime>=${stop}))`), conf(WEEKLY_SYNC, WEEKLY_PLANNING, LUNCH, REUNION));
    // The bounds are inclusive.
    await expectDns(inDynamic(`(startTime>=${generalizedTime(WEEKLY_SYNC.start)})`), conf(WEEKLY_SYNC, WEEKLY_PLANNING, REUNION));
    await expectDns(inDynamic(`(stopTime<=${generalizedTime(WEEKLY_SYNC.stop)})`), conf(WEEKLY_SYNC, DESIGN_REVIEW, EARLY_STANDUP, LUNCH));
  });

  it('generalizedTime assertions in other valid forms compare as times, not strings', async () => {
    // The same instant with a +01:00 offset; minutes only; a fraction (RFC 4517 3.3.13).
    await expectDns(inDynamic(`(stopTime>=${generalizedTimePlus0100(STOP_THRESHOLD)})`), conf(WEEKLY_SYNC, WEEKLY_PLANNING, LUNCH, REUNION));
    await expectDns(inDynamic(`(stopTime>=${generalizedTime(STOP_THRESHOLD).slice(0, 12)}Z)`), conf(WEEKLY_SYNC, WEEKLY_PLANNING, LUNCH, REUNION));
    await expectDns(inDynamic(`(startTime=${generalizedTime(WEEKLY_SYNC.start).replace(/Z$/, '.0Z')})`), conf(WEEKLY_SYNC));
  });

  it('a generalizedTime assertion that is no valid time is Undefined: no entries, under NOT too, whatever is read', async () => {
    // Shaped like the directory's own times (read from their digits), but month 13, 30 February,
    // hour 24, minute 60; and a 29 February outside a leap year. All before every conference,
    // so taken for times they would match (stopTime>=) and (!(startTime<=)) everywhere.
    for (const bad of ['20001301000000Z', '20000230000000Z', '20000101240000Z', '20000101006000Z', '19990229000000Z']) {
      for (const attrs of [['1.1'], []]) {
        await expectDns(inDynamic(`(stopTime>=${bad})`, { attrs }), []);
        await expectDns(inDynamic(`(!(startTime<=${bad}))`, { attrs }), []);
        await expectDns(inDynamic(`(&(objectClass=rtConference)(startTime<=${bad})(stopTime>=${bad}))`, { attrs }), []);
      }
    }
    // A leap day is a time: every conference here stops after 29 February 2000.
    await expectDns(inDynamic('(stopTime>=20000229000000Z)', { attrs: [] }), ALL_CONFERENCES);
  });

  it('integer ordering is numeric: (ipAddress<=900000000) and (advertisingScope>=3)', async () => {
    // As strings "1613317642" <= "900000000"; as numbers it is not.
    await expectDns(inDynamic('(ipAddress<=900000000)'), [personDn(ALICE_PERSON.cn)]);
    await expectDns(inDynamic('(ipAddress>=900000000)'), [personDn(BOB_PERSON.cn)]);
    await expectDns(inDynamic('(advertisingScope>=3)'), conf(DESIGN_REVIEW, WEEKLY_PLANNING));
  });

  it('and, or, not, nested', async () => {
    await expectDns(inDynamic('(|(uid=Design Review)(cn=Bob Builder))'), [...conf(DESIGN_REVIEW), personDn(BOB_PERSON.cn)]);
    await expectDns(inDynamic('(&(objectClass=rtConference)(!(uid=weekly*)))'), conf(DESIGN_REVIEW, EARLY_STANDUP, LUNCH, REUNION));
    await expectDns(inDynamic('(&(|(uid=weekly*)(uid=design*))(!(advertisingScope=3)))'), conf(WEEKLY_SYNC, DESIGN_REVIEW));
    await expectDns(inDynamic('(!(objectClass=rtConference))'), ALL_PEOPLE);
  });

  it('approximate match finds at least the exact value, and not unrelated ones', async () => {
    const r = await search(inDynamic('(uid~=weekly sync)'));
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(dnKeys(r.entries)).toContain(dnKey(conferenceDn(WEEKLY_SYNC.uid)));
    expect(dnKeys(r.entries)).not.toContain(dnKey(conferenceDn(DESIGN_REVIEW.uid)));
    await expectDns(inDynamic('(uid~=zzzzqqqq)'), []);
  });

  it('extensible match with a matching rule: (cn:caseExactMatch:=Alice Example), by name and by OID', async () => {
    await expectDns(inDynamic('(cn:caseExactMatch:=Alice Example)'), [personDn(ALICE_PERSON.cn)]);
    await expectDns(inDynamic('(cn:caseExactMatch:=alice example)'), []);
    await expectDns(inDynamic('(cn:2.5.13.5:=Alice Example)'), [personDn(ALICE_PERSON.cn)]);
    await expectDns(inDynamic('(uid:caseIgnoreMatch:=WEEKLY SYNC)'), conf(WEEKLY_SYNC));
  });

  it('extensible match on DN components: (ou:dn:=dynamic)', async () => {
    await expectDns({ base: SUFFIX, filter: '(ou:dn:=dynamic)', attrs: ['1.1'] }, [DYNAMIC, ...ALL_CONFERENCES, ...ALL_PEOPLE]);
    // Alice's registration, and the application entry the server keeps for her person (it names ms-netmeeting).
    await expectDns({ base: SUFFIX, filter: '(&(objectClass=rtApplicationUser)(appName:dn:=ms-netmeeting))', attrs: ['1.1'] }, [ALICE_APP_USER.dn, `cn=Alice Example,${NETMEETING}`]);
  });

  it('escaped filter values: (uid=Weekly\\20Sync) matches, (uid=\\2a) is a literal asterisk', async () => {
    await expectDns(inDynamic('(uid=Weekly\\20Sync)'), conf(WEEKLY_SYNC));
    await expectDns(inDynamic('(uid=\\2a)'), []);
    await expectDns(inDynamic('(uid=Lunch\\2c Friday)'), conf(LUNCH));
  });

  it('ILS wire names are the attributes they stand for: (sProtID=ip conference), (sAppID=ms-netmeeting), (sIPAddress=16777343)', async () => {
    await expectDns(inDynamic('(sProtID=ip conference)'), ALL_CONFERENCES);
    await expectDns(inDynamic('(sappid=MS-NetMeeting)'), [personDn(ALICE_PERSON.cn)]);
    await expectDns(inDynamic('(sIPAddress=16777343)'), [personDn(ALICE_PERSON.cn)]);
  });

  it('an attribute the schema does not know is Undefined: no entries, not an error (RFC 4511 4.5.1.7)', async () => {
    await expectDns(inDynamic('(noSuchAttribute=x)'), []);
    await expectDns(inDynamic('(!(noSuchAttribute=x))'), []);
    await expectDns(inDynamic('(|(noSuchAttribute=x)(uid=Weekly Sync))'), conf(WEEKLY_SYNC));
  });
});

describe('conference attributes derived from the blob', () => {
  it.each(CONFERENCES.map((c) => [c.uid, c] as const))('%s: startTime, stopTime, originator, generalDescription, advertisingScope, isEncrypted, url', async (_uid, c) => {
    const r = await search({
      base: conferenceDn(c.uid),
      scope: 'base',
      attrs: ['startTime', 'stopTime', 'originator', 'generalDescription', 'advertisingScope', 'isEncrypted', 'url', 'conferenceBlob'],
    });
    expect(r.code, explain(r)).toBe(LDAP.success);
    const e = r.entries[0]!;
    for (const [name, value] of Object.entries(derivedAttributes(c))) {
      expect(e.get(name), `${c.uid}: ${name}`).toEqual(value === undefined ? [] : [value]);
    }
    expect(e.get('conferenceBlob'), 'the blob is returned exactly as stored').toEqual([conferenceBlob(c)]);
  });

  it('are usable in filters', async () => {
    await expectDns(inDynamic('(isEncrypted=1)'), conf(DESIGN_REVIEW, REUNION));
    await expectDns(inDynamic('(&(objectClass=rtConference)(isEncrypted=0))'), conf(WEEKLY_SYNC, WEEKLY_PLANNING, EARLY_STANDUP, LUNCH));
    await expectDns(inDynamic('(originator=BOB)'), conf(DESIGN_REVIEW));
    await expectDns(inDynamic('(generalDescription=*design*)'), conf(DESIGN_REVIEW));
    await expectDns(inDynamic('(url=http://example.com/weekly)'), conf(WEEKLY_SYNC));
    await expectDns(inDynamic('(advertisingScope=1)'), conf(EARLY_STANDUP));
    await expectDns(inDynamic(`(startTime=${generalizedTime(DESIGN_REVIEW.start)})`), conf(DESIGN_REVIEW));
  });
});

describe('limits and typesOnly', () => {
  it('-z 2 returns exactly 2 entries and sizeLimitExceeded (4)', async () => {
    const r = await search(inDynamic('(objectClass=rtConference)', { sizeLimit: 2 }));
    expect(r.code, explain(r)).toBe(LDAP.sizeLimitExceeded);
    expect(r.entries).toHaveLength(2);
    for (const e of r.entries) expect(ALL_CONFERENCES.map(dnKey)).toContain(dnKey(e.dn));
  });

  it('a size limit at or above the number of matches is success', async () => {
    const r = await search(inDynamic('(objectClass=rtConference)', { sizeLimit: CONFERENCES.length }));
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries).toHaveLength(CONFERENCES.length);
  });

  it('a time limit that is not reached changes nothing', async () => {
    const r = await search(inDynamic('(objectClass=rtConference)', { timeLimit: 10 }));
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries).toHaveLength(CONFERENCES.length);
  });

  it('typesOnly (-A) returns the attribute names without values', async () => {
    const r = await search({ base: conferenceDn(WEEKLY_SYNC.uid), scope: 'base', typesOnly: true });
    expect(r.code, explain(r)).toBe(LDAP.success);
    const e = r.entries[0]!;
    for (const name of ['objectClass', 'uid', 'protocolID', 'conferenceBlob', 'startTime']) expect(e.has(name), name).toBe(true);
    for (const line of e.lines) expect(line.value.length, `${line.name} has a value`).toBe(0);
  });
});

describe('attribute selection', () => {
  const dn = conferenceDn(WEEKLY_SYNC.uid);
  const read = async (attrs: string[]) => {
    const r = await search({ base: dn, scope: 'base', attrs });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries).toHaveLength(1);
    return r.entries[0]!;
  };

  it('names in any case return those attributes only', async () => {
    const e = await read(['UID', 'ConferenceBlob', 'starttime']);
    expect(e.lowerNames()).toEqual(['conferenceblob', 'starttime', 'uid']);
    expect(e.get('uid')).toEqual([WEEKLY_SYNC.uid]);
  });

  it('"*" returns the user attributes, derived ones included', async () => {
    const e = await read(['*']);
    for (const name of ['objectClass', 'uid', 'protocolID', 'conferenceBlob', 'startTime', 'stopTime', 'originator', 'generalDescription', 'advertisingScope', 'isEncrypted', 'url']) {
      expect(e.has(name), name).toBe(true);
    }
    expect(e.get('objectClass').map((v) => v.toLowerCase()).sort()).toEqual(expect.arrayContaining(['dynamicobject', 'rtconference']));
  });

  it('"1.1" returns no attributes', async () => {
    const e = await read(['1.1']);
    expect(e.names()).toEqual([]);
  });

  it('unknown names are ignored', async () => {
    const e = await read(['uid', 'noSuchAttribute']);
    expect(e.lowerNames()).toEqual(['uid']);
  });

  it('a wire name returns the attribute it stands for (sProtID -> protocolID)', async () => {
    const e = await read(['sProtID']);
    expect([...e.get('protocolID'), ...e.get('sProtID')]).toEqual(['IP Conference']);
  });
});

describe('paged results (RFC 2696)', () => {
  it('-E pr=2/noprompt returns every entry once, over several pages', async () => {
    const all = sampleDirectoryDns();
    const r = await search({ base: SUFFIX, attrs: ['1.1'], extensions: ['pr=2/noprompt'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(dnKeys(r.entries)).toEqual(all.map(dnKey).sort());
    expect(r.pages, explain(r)).toBe(Math.ceil(all.length / 2));
  });

  it('a page size larger than the result is one page', async () => {
    const r = await search({ ...inDynamic('(objectClass=rtConference)'), extensions: ['pr=100/noprompt'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries).toHaveLength(CONFERENCES.length);
    expect(r.pages).toBe(1);
  });

  it('pages of 1 over a filter most candidates fail return every match once (the first read is a page, not a batch)', async () => {
    // (uid=*) is a presence test, answered by reading the scope; people have no uid, so a
    // page-sized read (two rows for a page of one) can hold no match, and the scan reads on.
    const r = await search({ ...inDynamic('(uid=*)'), attrs: ['1.1'], extensions: ['pr=1/noprompt'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(dnKeys(r.entries)).toEqual(ALL_CONFERENCES.map(dnKey).sort());
    expect([ALL_CONFERENCES.length, ALL_CONFERENCES.length + 1], explain(r)).toContain(r.pages);
  });

  it('works when marked critical (-E !pr=3/noprompt)', async () => {
    const r = await search({ ...inDynamic('(objectClass=rtConference)'), extensions: ['!pr=3/noprompt'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(dnKeys(r.entries)).toEqual(ALL_CONFERENCES.map(dnKey).sort());
    // 6 conferences in pages of 3: 2 pages, or 3 if the server ends with an empty page.
    expect([2, 3], explain(r)).toContain(r.pages);
  });
});

describe('controls', () => {
  it('an unknown critical control is unavailableCriticalExtension (12), and nothing is returned', async () => {
    const r = await search({ ...inDynamic('(objectClass=*)'), controls: ['!1.2.3.4'] });
    expect(r.code, explain(r)).toBe(LDAP.unavailableCriticalExtension);
    expect(r.entries).toEqual([]);
  });

  it('an unknown non-critical control is ignored', async () => {
    await expectDns({ ...inDynamic('(objectClass=rtConference)'), controls: ['1.2.3.4'] }, ALL_CONFERENCES);
  });

  it('ManageDsaIT, not critical (-M, as browsers send it), is accepted', async () => {
    await expectDns({ ...inDynamic('(objectClass=rtConference)'), args: ['-M'] }, ALL_CONFERENCES);
  });
});
