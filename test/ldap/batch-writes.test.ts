/**
 * The end-of-turn flush and the write slabs of a process's connections
 * (src/ldap/batch-writes.ts): deferred work runs once, together, after the turn; a slab's
 * bytes are handed out again only once every buffer carved from it was written, here checked
 * on a real socket whose reader waits, so that the writes queue in the socket meanwhile; and
 * buffers left unwritten never make more slabs than the pool's most, and those a destroyed
 * socket held come back.
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EndOfTurn, WriteSlabs } from '../../src/ldap/batch-writes.js';

describe('EndOfTurn', () => {
  it('runs what was deferred in one turn once, in order, after the turn', async () => {
    const turn = new EndOfTurn();
    const ran: string[] = [];
    turn.defer(() => ran.push('a'));
    turn.defer(() => ran.push('b'));
    expect(ran).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['a', 'b']);
    turn.defer(() => ran.push('c'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['a', 'b', 'c']);
  });
});

/** A connection over loopback whose reading end waits (paused): what is written queues in the sockets. */
async function pausedPair(): Promise<{ reader: Socket; writer: Socket; close: () => void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const reader = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(reader, 'connect');
  const [writer] = await accepted;
  reader.pause();
  return {
    reader,
    writer,
    close: () => {
      reader.destroy();
      writer.destroy();
      server.close();
    },
  };
}

describe('WriteSlabs', () => {
  const overlaps = (a: Buffer, b: Buffer): boolean => a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;

  it('never hands out bytes that are not written yet, and reuses them once they are', () => {
    const slabs = new WriteSlabs(1024, 2);
    const first = Array.from({ length: 5 }, () => slabs.take(200));
    for (let i = 1; i < first.length; i += 1) expect(overlaps(first[i]!.buffer, first[i - 1]!.buffer)).toBe(false);
    // The first slab is full and none of it is written: the next buffers come from another.
    const second = Array.from({ length: 5 }, () => slabs.take(200));
    for (const p of second) for (const q of first) expect(overlaps(p.buffer, q.buffer)).toBe(false);
    for (const x of first) x.written();
    // The first slab is written: once the second is full, the first is carved again.
    const third = slabs.take(200);
    expect(third.buffer.buffer).toBe(first[0]!.buffer.buffer);
    for (const q of second) expect(overlaps(third.buffer, q.buffer)).toBe(false);
  });

  it('starts the slab in use over once all it gave out is written', () => {
    const slabs = new WriteSlabs(1024, 1);
    const a = slabs.take(100);
    a.written();
    const b = slabs.take(100);
    expect(b.buffer.buffer).toBe(a.buffer.buffer);
    expect(b.buffer.byteOffset).toBe(a.buffer.byteOffset);
  });

  it('makes no more than its most slabs, however many buffers readers leave unwritten', () => {
    const slabs = new WriteSlabs(1024, 4);
    // Readers falling behind one after another: each leaves one buffer of a slab unwritten
    // (the rest of it is written), and that holds the slab.
    const held: Array<{ buffer: Buffer; written: () => void }> = [];
    for (let reader = 0; reader < 100; reader += 1) {
      const batch = Array.from({ length: 5 }, () => slabs.take(200));
      held.push(batch[0]!);
      for (const b of batch.slice(1)) b.written();
    }
    expect(slabs.slabBytes).toBe(4 * 1024);
    // Past the most, buffers have memory of their own, overlapping nothing still unwritten.
    const more = slabs.take(200);
    expect(held.slice(0, 4).some((h) => h.buffer.buffer === more.buffer.buffer)).toBe(false);
    // Written at last, the slabs are carved again; none is made.
    for (const h of held) h.written();
    const again = Array.from({ length: 20 }, () => slabs.take(200));
    expect(new Set(again.map((a) => a.buffer.buffer)).size).toBe(4);
    expect(slabs.slabBytes).toBe(4 * 1024);
  });

  it('takes back the slabs a destroyed socket held unwritten', async () => {
    const { reader, writer, close } = await pausedPair();
    try {
      writer.on('error', () => undefined);
      const slabs = new WriteSlabs(64 * 1024, 2);
      const pool = new Set<ArrayBufferLike>();
      // 8 MB to a reader that reads nothing: the kernel takes some, the rest stays unwritten
      // and holds both slabs; the buffers after them have memory of their own.
      for (let i = 0; i < 1000; i += 1) {
        const { buffer, written } = slabs.take(8 * 1024);
        if (i < 16) pool.add(buffer.buffer);
        writer.write(buffer, written);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pool.size).toBe(2);
      expect(writer.writableLength).toBeGreaterThan(1024 * 1024);
      writer.destroy();
      await once(writer, 'close');
      // Both slabs are free again: the next 16 buffers fill them, none made anew.
      const after = Array.from({ length: 16 }, () => slabs.take(8 * 1024).buffer.buffer);
      expect(after.every((b) => pool.has(b))).toBe(true);
      expect(new Set(after).size).toBe(2);
      expect(slabs.slabBytes).toBe(2 * 64 * 1024);
    } finally {
      close();
    }
  });

  it('gives a large buffer its own memory', () => {
    const slabs = new WriteSlabs(1024, 1);
    const small = slabs.take(100);
    const large = slabs.take(600);
    expect(large.buffer.length).toBe(600);
    expect(large.buffer.buffer).not.toBe(small.buffer.buffer);
  });

  it('keeps what a socket has not written yet intact while more is carved', async () => {
    const { reader, writer, close } = await pausedPair();
    try {
      const slabs = new WriteSlabs(64 * 1024, 4);
      const total = 400;
      const size = 8 * 1024;
      // 3.2 MB in rounds: the kernel takes the first writes (their callbacks come, their slabs
      // are carved again), then, the reader waiting, the rest queue in the socket unwritten.
      for (let i = 0; i < total; i += 1) {
        const { buffer, written } = slabs.take(size);
        buffer.fill(i & 0xff);
        writer.write(buffer, written);
        if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
      }
      writer.end();
      const received: Buffer[] = [];
      reader.on('data', (chunk: Buffer) => received.push(chunk));
      reader.resume();
      await once(reader, 'end');
      const all = Buffer.concat(received);
      expect(all.length).toBe(total * size);
      for (let i = 0; i < total; i += 1) {
        const part = all.subarray(i * size, (i + 1) * size);
        expect(part.every((byte) => byte === (i & 0xff))).toBe(true);
      }
    } finally {
      close();
    }
  });
});
