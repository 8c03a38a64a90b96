/**
 * MessageBatch (src/protocol/message.ts), what a connection's live messages are queued in and
 * written from in one buffer: each message is its id and a shared body, encoded as
 * `messageWithBody` would; a batch written or cleared is empty and, refilled, holds only what
 * was added since (its arrays are kept across fills, never its messages).
 */
import { describe, expect, it } from 'vitest';
import { MessageBatch, messageBody, messageWithBody, octets, Op, tlv } from '../../src/protocol/index.js';

/** A search entry body of about `size` bytes. */
const body = (size: number, fill = 'x'): Buffer => messageBody(tlv(Op.searchResultEntry, octets(fill.repeat(size)), tlv(0x30)));

/** What the batch writes, in a buffer of exactly its size. */
function written(batch: MessageBatch): Buffer {
  const out = Buffer.alloc(batch.bytes);
  batch.writeTo(out);
  return out;
}

describe('MessageBatch', () => {
  it('writes each message as messageWithBody does, in the order added, ids of every length', () => {
    const batch = new MessageBatch();
    const items: Array<[number, Buffer]> = [
      [1, body(3)],
      [127, body(200)],
      [128, body(70_000)],
      [65_536, body(10)],
      [2 ** 31 - 1, body(0)],
    ];
    for (const [id, b] of items) batch.add(id, b);
    const expected = Buffer.concat(items.map(([id, b]) => messageWithBody(id, b)));
    expect(batch.bytes).toBe(expected.length);
    expect(written(batch).equals(expected)).toBe(true);
    expect(batch.bytes).toBe(0);
  });

  it('holds only what was added since it was last written, however many fewer', () => {
    const batch = new MessageBatch();
    for (let i = 1; i <= 100; i += 1) batch.add(i, body(i, 'a'));
    written(batch);
    batch.add(7, body(5, 'b'));
    batch.add(8, body(6, 'c'));
    expect(written(batch).equals(Buffer.concat([messageWithBody(7, body(5, 'b')), messageWithBody(8, body(6, 'c'))]))).toBe(true);
  });

  it('cleared, writes nothing of what it held', () => {
    const batch = new MessageBatch();
    for (let i = 1; i <= 10; i += 1) batch.add(i, body(20, 'a'));
    batch.clear();
    expect(batch.bytes).toBe(0);
    batch.add(3, body(4, 'z'));
    expect(written(batch).equals(messageWithBody(3, body(4, 'z')))).toBe(true);
  });
});
