/**
 * Framing of the library's own connections (src/client/message-framer.ts): messages split
 * across reads and several in one read come out whole and in order; a message announced
 * over the limit is refused from its header, before its bytes are held.
 */
import { describe, expect, it } from 'vitest';
import { MessageFramer, MessageTooLargeError } from '../../src/client/message-framer.js';
import { BerError, message, octets, Op, tlv } from '../../src/protocol/index.js';

const entry = (id: number, size: number): Buffer => message(id, tlv(Op.searchResultEntry, octets('x'.repeat(size)), tlv(0x30)));

describe('MessageFramer', () => {
  it('joins a message split across reads, byte by byte too, and splits reads holding several', () => {
    const framer = new MessageFramer(1 << 20);
    const big = entry(1, 70_000);
    const small = entry(2, 3);
    const out: Buffer[] = [];
    for (let i = 0; i < 10; i += 1) out.push(...framer.push(big.subarray(i, i + 1)));
    out.push(...framer.push(Buffer.concat([big.subarray(10), small, small.subarray(0, 4)])));
    out.push(...framer.push(small.subarray(4)));
    expect(out).toEqual([big, small, small]);
    expect(framer.held).toBe(0);
  });

  it('refuses a message over the limit from its header, and bytes that are not a message', () => {
    const framer = new MessageFramer(1000);
    expect(() => framer.push(entry(1, 2000).subarray(0, 8))).toThrow(MessageTooLargeError);
    expect(() => new MessageFramer(1000).push(Buffer.from([0x04, 0x01, 0x00]))).toThrow(BerError);
  });
});
