import { describe, expect, it } from 'vitest';
import { BerError, readTlv, readTlvInto, tlvHolder, type Tlv } from '../../src/protocol/index.js';

describe('readTlv and readTlvInto', () => {
  // SEQUENCE { INTEGER 5, OCTET STRING of 200 bytes (a two-byte long-form length) }
  const long = Buffer.alloc(200, 0x61);
  const pdu = Buffer.concat([Buffer.from([0x30, 0x81, 3 + 3 + 200, 0x02, 0x01, 0x05, 0x04, 0x81, 200]), long]);

  it('reads short and long lengths into the holder it is given, and returns that holder', () => {
    const holder = tlvHolder();
    const envelope = readTlvInto(holder, pdu, 0);
    expect(envelope).toBe(holder);
    expect(envelope).toEqual({ tag: 0x30, offset: 0, start: 3, end: pdu.length });
    expect(readTlvInto(holder, pdu, 3, pdu.length)).toEqual({ tag: 0x02, offset: 3, start: 5, end: 6 });
    expect(readTlvInto(holder, pdu, 6, pdu.length)).toEqual({ tag: 0x04, offset: 6, start: 9, end: 209 });
    expect(holder).toEqual({ tag: 0x04, offset: 6, start: 9, end: 209 });
  });

  it('readTlv reads the same into a new object each time', () => {
    const a = readTlv(pdu, 3, pdu.length);
    const b = readTlv(pdu, 3, pdu.length);
    expect(a).toEqual({ tag: 0x02, offset: 3, start: 5, end: 6 });
    expect(a).not.toBe(b);
  });

  it('refuses what is not there, and leaves the holder as it was', () => {
    const holder: Tlv = { tag: 1, offset: 2, start: 3, end: 4 };
    const refusals: Array<[Buffer, number, number, RegExp]> = [
      [pdu, 0, 100, /longer than its container/],
      [Buffer.from([0x30]), 0, 1, /truncated element/],
      [Buffer.from([0x30, 0x80, 0x00, 0x00]), 0, 4, /indefinite length/],
      [Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1]), 0, 7, /length too large/],
      [Buffer.from([0x30, 0x82, 0x01]), 0, 3, /truncated length/],
      [Buffer.from([0x1f, 0x01, 0x00]), 0, 3, /multi-byte tags/],
    ];
    for (const [bytes, offset, limit, message] of refusals) {
      expect(() => readTlvInto(holder, bytes, offset, limit)).toThrow(BerError);
      expect(() => readTlvInto(holder, bytes, offset, limit)).toThrow(message);
    }
    expect(holder).toEqual({ tag: 1, offset: 2, start: 3, end: 4 });
  });
});
