/**
 * The one-pass SearchResultEntry encoder (attribute list, then the whole message around it)
 * against the nested-TLV construction it replaced,
 * read back with the BER reader: short and long-form lengths (1, 2 and 3 length bytes),
 * multi-byte UTF-8, binary (latin1) values, empty attribute lists and value sets; message ids
 * of every length; and the success SearchResultDone written after a search's last entry.
 */
import { describe, expect, it } from 'vitest';
import { BerReader, integer, message, octets, Op, tlv } from '../../src/protocol/index.js';
import { attributeList, resultOp, searchDoneMessage, searchEntryMessage, type EntryAttribute } from '../../src/ldap/responses.js';
import { readAttributes } from '../../src/ldap/requests.js';

function nested(dn: string, attributes: readonly EntryAttribute[]): Buffer {
  return tlv(
    Op.searchResultEntry,
    octets(dn),
    tlv(0x30, ...attributes.map((a) => tlv(0x30, octets(a.name), tlv(0x31, ...a.values.map((v) => octets(Buffer.from(v, a.binary ? 'latin1' : 'utf8'))))))),
  );
}

function decode(op: Buffer): { dn: string; attributes: Array<{ name: string; values: readonly Buffer[] }> } {
  const entry = new BerReader(op).enter(Op.searchResultEntry);
  const dn = entry.string();
  const attributes = readAttributes(entry.enter(0x30)).map((a) => ({ name: a.type, values: a.values }));
  expect(entry.done).toBe(true);
  return { dn, attributes };
}

const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

const cases: Array<[string, string, EntryAttribute[]]> = [
  ['no attributes', 'cn=x', []],
  ['an empty value set (typesOnly)', 'cn=x', [{ name: 'cn', values: [], binary: false }]],
  ['short values and UTF-8', 'cn=Zoë Ångström,o=Intranet', [{ name: 'cn', values: ['Zoë Ångström', '会议'], binary: false }]],
  ['a value of 127 and 128 bytes', 'cn=x', [{ name: 'description', values: ['a'.repeat(127), 'b'.repeat(128)], binary: false }]],
  ['a value of 300 bytes (two length bytes)', 'cn=x', [{ name: 'conferenceBlob', values: ['v=0\r\n'.repeat(60)], binary: false }]],
  ['a value of 70,000 bytes (three length bytes)', 'cn=x', [{ name: 'description', values: ['é'.repeat(35_000)], binary: false }]],
  ['binary values, every byte', 'cn=x', [{ name: 'jpegPhoto', values: [binary, '\u00ff\u0000'], binary: true }, { name: 'cn', values: ['x'], binary: false }]],
];

/** Message ids at each length of their INTEGER (where a sign byte is added, and past 32 bits). */
const MESSAGE_IDS = [0, 1, 127, 128, 255, 300, 32_767, 32_768, 8_388_607, 8_388_608, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 5];

describe('attributeList and searchEntryMessage', () => {
  it.each(cases)('encodes %s exactly as the nested construction', (_, dn, attributes) => {
    for (const messageId of MESSAGE_IDS) {
      const whole = searchEntryMessage(messageId, dn, attributeList(attributes));
      expect(whole.equals(tlv(0x30, integer(messageId), nested(dn, attributes)))).toBe(true);
    }
    const message = new BerReader(searchEntryMessage(7, dn, attributeList(attributes))).enter(0x30);
    expect(message.integer()).toBe(7);
    const op = Buffer.from(message.raw());
    expect(op.equals(nested(dn, attributes))).toBe(true);
    const back = decode(op);
    expect(back.dn).toBe(dn);
    expect(back.attributes.map((a) => a.name)).toEqual(attributes.map((a) => a.name));
    back.attributes.forEach((a, i) => {
      const src = attributes[i]!;
      expect(a.values.map((v) => v.toString(src.binary ? 'latin1' : 'utf8'))).toEqual(src.values);
    });
  });
});

describe('searchDoneMessage', () => {
  it('is the success SearchResultDone without controls, after the entries it is given, in one buffer', () => {
    const entry = searchEntryMessage(5, 'cn=x', attributeList([{ name: 'cn', values: ['x'], binary: false }]));
    for (const messageId of MESSAGE_IDS) {
      const done = message(messageId, resultOp(Op.searchResultDone, 0));
      expect(searchDoneMessage(messageId).equals(done), String(messageId)).toBe(true);
      expect(searchDoneMessage(messageId, [entry]).equals(Buffer.concat([entry, done])), String(messageId)).toBe(true);
      expect(searchDoneMessage(messageId, [entry, entry]).equals(Buffer.concat([entry, entry, done])), String(messageId)).toBe(true);
    }
  });
});
