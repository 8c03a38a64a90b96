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
