/**
 * The rules of a modify, against the directory in this process: changes applied in order and
 * all or nothing, what stays fixed (the RDN's values, the structural class, being dynamic or
 * static), the derived attributes following the blob, and entryTTL as a refresh.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../src/directory/index.js';
import { sdp } from '../sdp/helpers.js';
import { alice, attributes, change, DYNAMIC, entryTtl, openTestDirectory, read, refusal, refusalMessage, START, type TestDirectory } from './helpers.js';

const ntp = (ms: number): number => Math.floor(ms / 1000) + 2_208_988_800;
const blob = (name: string, description: string): string =>
  sdp('v=0', 'o=alice 1 1 IN IP4 host.example', `s=${name}`, `i=${description}`, 'c=IN IP4 239.255.10.1/15', `t=${ntp(START + 3_600_000)} ${ntp(START + 7_200_000)}`, 'm=audio 49170 RTP/AVP 0');

const ANN = `cn=Ann,${DYNAMIC}`;
let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
  t.directory.add(alice, ANN, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn: 'Ann', mail: ['ann@example.com'] }));
});
afterEach(() => t.close());

const modify = (...changes: ReturnType<typeof change>[]) => () => t.directory.modify(alice, ANN, changes);

describe('a modify', () => {
  it('applies add, delete and replace in order, values compared by their matching rule', () => {
    modify(change('add', 'mail', 'ann@other.example'), change('delete', 'mail', 'ANN@EXAMPLE.COM'), change('replace', 'sn', 'A'))();
    const entry = read(t.directory, ANN)!;
    expect(entry.get('mail')).toEqual(['ann@other.example']);
    expect(entry.get('sn')).toEqual(['A']);
  });

  it('is all or nothing: a refused change leaves the entry as it was', () => {
    expect(refusal(modify(change('replace', 'sn', 'A'), change('delete', 'mail', 'nobody@example.com')))).toBe(ResultCode.noSuchAttribute);
    expect(read(t.directory, ANN)?.get('sn')).toBeUndefined();
  });

  it('refuses values that exist, values and attributes that do not, with their codes', () => {
    expect(refusal(modify(change('add', 'mail', 'Ann@Example.com')))).toBe(ResultCode.attributeOrValueExists);
    expect(refusal(modify(change('delete', 'sn')))).toBe(ResultCode.noSuchAttribute);
    expect(refusal(modify(change('add', 'sn')))).toBe(ResultCode.protocolError);
    expect(refusal(modify(change('replace', 'noSuchAttribute', 'x')))).toBe(ResultCode.undefinedAttributeType);
    expect(refusal(() => t.directory.modify(alice, `cn=Nobody,${DYNAMIC}`, [change('replace', 'sn', 'A')]))).toBe(ResultCode.noSuchObject);
  });

  it("keeps the RDN's value, the structural class, and whether the entry is dynamic", () => {
    expect(refusal(modify(change('delete', 'cn', 'Ann')))).toBe(ResultCode.notAllowedOnRDN);
    expect(refusal(modify(change('replace', 'objectClass', 'person', 'dynamicObject'), change('replace', 'sn', 'A')))).toBe(ResultCode.objectClassModsProhibited);
    expect(refusalMessage(modify(change('delete', 'objectClass', 'dynamicObject')))).toMatch(/a dynamic entry cannot be made static/);
    t.directory.add(alice, `cn=Static,${DYNAMIC}`, attributes({ objectClass: 'rtPerson', cn: 'Static' }));
    expect(refusalMessage(() => t.directory.modify(alice, `cn=Static,${DYNAMIC}`, [change('add', 'objectClass', 'dynamicObject')]))).toMatch(/a static entry cannot be made dynamic/);
  });

  it('recomputes the attributes derived from a new blob, and refuses writing them directly', () => {
    const dn = `uid=Plan,${DYNAMIC}`;
    t.directory.add(alice, dn, attributes({ objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: blob('Plan', 'First') }));
    t.directory.modify(alice, dn, [change('replace', 'conferenceBlob', blob('Plan', 'Second'))]);
    expect(read(t.directory, dn)?.get('generaldescription')).toEqual(['Second']);
    expect(refusalMessage(() => t.directory.modify(alice, dn, [change('replace', 'generalDescription', 'Third')]))).toMatch(/derived from conferenceBlob/);
    // Without the blob, its derived attributes go too.
    t.directory.modify(alice, dn, [change('delete', 'conferenceBlob')]);
    expect(read(t.directory, dn)?.get('generaldescription')).toBeUndefined();
  });

  it('keeps the derived attributes of a blob it leaves alone as a new derivation of that blob gives them', () => {
    // Groups of their own, so that neither is flagged as clashing with the other.
    const full = (group: string, port: number): string =>
      sdp('v=0', 'o=alice 1 1 IN IP4 host.example', 's=Plan', 'i=The plan', 'u=http://example.com/plan', `c=IN IP4 ${group}/127`, `t=${ntp(START + 3_600_000)} ${ntp(START + 7_200_000)}`, `m=audio ${port} RTP/AVP 0`);
    const conference = (group: string) => attributes({ objectClass: ['rtConference', 'dynamicObject'], conferenceBlob: full(group, 49170), contactInformation: 'before' });
    t.directory.add(alice, `uid=Same,${DYNAMIC}`, conference('239.255.10.1'));
    t.directory.add(alice, `uid=Other,${DYNAMIC}`, conference('239.255.10.2'));
    // The blob left alone: its derived values are taken from the entry. Another blob that
    // derives the same values (only its port differs): they are derived from it.
    const same = t.directory.modify(alice, `uid=Same,${DYNAMIC}`, [change('replace', 'contactInformation', 'after')]);
    const other = t.directory.modify(alice, `uid=Other,${DYNAMIC}`, [change('replace', 'contactInformation', 'after'), change('replace', 'conferenceBlob', full('239.255.10.2', 49172))]);
    const besidesBlob = (a: Readonly<Record<string, readonly string[]>>): Array<[string, readonly string[]]> => Object.entries(a).filter(([key]) => key !== 'conferenceblob' && key !== 'uid');
    // Every derived attribute, in the same order, with the same values.
    expect(besidesBlob(same.attributes)).toEqual(besidesBlob(other.attributes));
    expect(Object.keys(same.attributes)).toEqual(expect.arrayContaining(['originator', 'isencrypted', 'starttime', 'stoptime', 'generaldescription', 'advertisingscope', 'url']));
    expect(same.attributes.contactinformation).toEqual(['after']);
  });

  it('refreshes a dynamic entry by replacing entryTTL with one value, and only so', () => {
    t.clock.now += 600_000;
    expect(entryTtl(t.directory, ANN)).toBe(1200);
    modify(change('replace', 'entryTTL', '900'))();
    expect(entryTtl(t.directory, ANN)).toBe(900);
    expect(refusal(modify(change('add', 'entryTTL', '900')))).toBe(ResultCode.constraintViolation);
    expect(refusal(modify(change('replace', 'entryTTL', '900', '1000')))).toBe(ResultCode.constraintViolation);
    expect(refusal(modify(change('replace', 'entryTTL', 'soon')))).toBe(ResultCode.invalidAttributeSyntax);
    t.directory.add(alice, `cn=Static,${DYNAMIC}`, attributes({ objectClass: 'rtPerson', cn: 'Static' }));
    expect(refusal(() => t.directory.modify(alice, `cn=Static,${DYNAMIC}`, [change('replace', 'entryTTL', '900')]))).toBe(ResultCode.objectClassViolation);
  });
});
