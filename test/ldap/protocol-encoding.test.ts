/**
 * The one-pass SearchResultEntry encoder against the nested-TLV construction it replaced,
 * read back with the BER reader: short and long-form lengths (1, 2 and 3 length bytes),
 * multi-byte UTF-8, binary (latin1) values, empty attribute lists and value sets.
 */
import { describe, expect, it } from 'vitest';
import { BerReader, octets, tlv } from '../../src/ldap/ber.js';
import { Op, searchEntryOp, type EntryAttribute } from '../../src/ldap/protocol.js';

function nested(dn: string, attributes: readonly EntryAttribute[]): Buffer {
  return tlv(
    Op.searchResultEntry,
    octets(dn),
    tlv(0x30, ...attributes.map((a) => tlv(0x30, octets(a.name), tlv(0x31, ...a.values.map((v) => octets(Buffer.from(v, a.binary ? 'latin1' : 'utf8'))))))),
  );
}

function decode(op: Buffer): { dn: string; attributes: Array<{ name: string; values: Buffer[] }> } {
  const entry = new BerReader(op).enter(Op.searchResultEntry);
  const dn = entry.string();
  const list = entry.enter(0x30);
  const attributes: Array<{ name: string; values: Buffer[] }> = [];
  while (!list.done) {
    const a = list.enter(0x30);
    const name = a.string();
    const set = a.enter(0x31);
    const values: Buffer[] = [];
    while (!set.done) values.push(Buffer.from(set.bytes(0x04)));
    attributes.push({ name, values });
  }
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

describe('searchEntryOp', () => {
  it.each(cases)('encodes %s exactly as the nested construction', (_, dn, attributes) => {
    const op = searchEntryOp(dn, attributes);
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
