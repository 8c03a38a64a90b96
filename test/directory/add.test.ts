/**
 * The rules of an add, against the directory in this process: what it fills in (RDN values,
 * a conference's cn and derived attributes, application containers), and what it refuses,
 * each with its result code. The wire tests (test/ldap/write.test.ts, ils.test.ts) replay
 * them through real clients.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../src/directory/index.js';
import { sdp } from '../sdp/helpers.js';
import { admin, alice, APPLICATIONS, attributes, DYNAMIC, openTestDirectory, person, read, refusal, refusalMessage, START, SUFFIX, type TestDirectory } from './helpers.js';

/** NTP seconds of a time on the test clock. */
const ntp = (ms: number): number => Math.floor(ms / 1000) + 2_208_988_800;
const blob = (name: string, startMs = START + 3_600_000, stopMs = startMs + 3_600_000): string =>
  sdp('v=0', 'o=alice 1 1 IN IP4 host.example', `s=${name}`, 'i=Planning', 'c=IN IP4 239.255.10.1/15', `t=${ntp(startMs)} ${ntp(stopMs)}`, 'm=audio 49170 RTP/AVP 0');

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.close());

describe('an add fills in', () => {
  it('the RDN value the client left out', () => {
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], sn: 'A' }));
    expect(read(t.directory, `cn=Ann,${DYNAMIC}`)?.get('cn')).toEqual(['Ann']);
  });

  it("no cn for a conference that was given none (ILS names it by uid), and the attributes derived from its blob", () => {
    t.directory.add(alice, `uid=Plan,${DYNAMIC}`, attributes({ objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: blob('Plan') }));
    const entry = read(t.directory, `uid=Plan,${DYNAMIC}`)!;
    expect(entry.get('cn')).toBeUndefined();
    expect(entry.get('uid')).toEqual(['Plan']);
    expect(entry.get('originator')).toEqual(['alice']);
    expect(entry.get('generaldescription')).toEqual(['Planning']);
    expect(entry.get('starttime')).toEqual(['20300101010000Z']);
    expect(entry.get('stoptime')).toEqual(['20300101020000Z']);
  });

  it('the appName container a first registration under ou=applications needs', () => {
    t.directory.add(alice, `cn=Ann,appName=ms-netmeeting,${APPLICATIONS}`, person('Ann'));
    expect(read(t.directory, `appName=ms-netmeeting,${APPLICATIONS}`)?.get('objectclass')).toEqual(['rendezvousApplication']);
    // Anywhere else, a missing parent is missing.
    expect(refusal(() => t.directory.add(alice, `cn=Ann,ou=missing,${DYNAMIC}`, person('Ann')))).toBe(ResultCode.noSuchObject);
  });
});

describe('an add is refused', () => {
  it('for an entry that exists (entryAlreadyExists), and taken again once the old one expired', () => {
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann'));
    expect(refusal(() => t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann')))).toBe(ResultCode.entryAlreadyExists);
    t.clock.now += 1801_000;
    const expired: string[] = [];
    t.directory.events.on('expired', (e) => expired.push(e.dn));
    t.directory.add(alice, `cn=Ann,${DYNAMIC}`, person('Ann'));
    expect(expired).toEqual([`cn=Ann,${DYNAMIC}`]);
  });

  it('below a missing parent (noSuchObject, with the deepest existing entry as matchedDN)', () => {
    try {
      t.directory.add(alice, `cn=Ann,cn=Nobody,${DYNAMIC}`, person('Ann'));
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: ResultCode.noSuchObject, matchedDN: DYNAMIC });
    }
  });

  it('for a static entry below a dynamic one (constraintViolation, RFC 2589)', () => {
    t.directory.add(admin, `cn=Ann,${DYNAMIC}`, person('Ann'));
    expect(refusal(() => t.directory.add(admin, `cn=Sub,cn=Ann,${DYNAMIC}`, attributes({ objectClass: 'rtPerson', cn: 'Sub' })))).toBe(ResultCode.constraintViolation);
    t.directory.add(admin, `cn=Sub,cn=Ann,${DYNAMIC}`, person('Sub'));
  });

  it('with entryTTL (constraintViolation: refresh after adding) or an attribute derived from the blob', () => {
    expect(refusalMessage(() => t.directory.add(alice, `cn=Ann,${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'Ann', entryTTL: '60' })))).toMatch(/entryTTL cannot be given in an add/);
    expect(refusal(() => t.directory.add(alice, `uid=Plan,${DYNAMIC}`, attributes({ objectClass: 'rtConference', conferenceBlob: blob('Plan'), startTime: '20300101000000Z' })))).toBe(ResultCode.constraintViolation);
    expect(refusal(() => t.directory.add(alice, `cn=Ann,${DYNAMIC}`, attributes({ objectClass: 'rtPerson', cn: 'Ann', createTimestamp: '20300101000000Z' })))).toBe(ResultCode.constraintViolation);
  });

  it('against the schema, with the codes slapd gives', () => {
    const add = (dn: string, values: Record<string, string | string[]>) => refusal(() => t.directory.add(alice, dn, attributes(values)));
    expect(add(`cn=Ann,${DYNAMIC}`, { objectClass: 'noSuchClass', cn: 'Ann' })).toBe(ResultCode.invalidAttributeSyntax);
    expect(add(`cn=Ann,${DYNAMIC}`, { objectClass: 'dynamicObject', cn: 'Ann' })).toBe(ResultCode.objectClassViolation);
    expect(add(`uid=Plan,${DYNAMIC}`, { objectClass: 'person', cn: 'Plan' })).toBe(ResultCode.namingViolation);
    expect(add(`cn=Ann,${DYNAMIC}`, { objectClass: 'person', cn: 'Ann' })).toBe(ResultCode.objectClassViolation); // sn is required
    expect(add(`cn=Ann,${DYNAMIC}`, { objectClass: 'rtPerson', cn: 'Ann', noSuchAttribute: 'x' })).toBe(ResultCode.undefinedAttributeType);
    expect(add(`uid=Plan,${DYNAMIC}`, { objectClass: 'rtConference', conferenceBlob: 'v=0' })).toBe(ResultCode.invalidAttributeSyntax);
  });

  it('for a conference that ended before the grace period (constraintViolation)', () => {
    const long = START - 2 * 3_600_000;
    expect(refusalMessage(() => t.directory.add(alice, `uid=Old,${DYNAMIC}`, attributes({ objectClass: 'rtConference', conferenceBlob: blob('Old', long - 3_600_000, long) })))).toMatch(/the conference ended at 20291231220000Z/);
  });

  it('for the root DSE and the suffix (unwillingToPerform, entryAlreadyExists)', () => {
    expect(refusal(() => t.directory.add(admin, '', attributes({ objectClass: 'organization', o: 'x' })))).toBe(ResultCode.unwillingToPerform);
    expect(refusal(() => t.directory.add(admin, SUFFIX, attributes({ objectClass: 'organization', o: 'Intranet' })))).toBe(ResultCode.entryAlreadyExists);
  });
});
