/**
 * PDU framing (src/protocol/framing.ts), the one implementation behind the server's
 * connections, the library's live searches and the benchmark's connections: PDUs split at
 * every position across reads (headers too) come out whole and in order; a PDU that arrives
 * whole in a read, also after one that spanned reads, is a view of that read; only the bytes
 * that complete a spanning PDU are copied; every byte held is charged to the budget and given
 * back; oversized lengths, bad bytes and an exhausted budget are refused.
 */
import { describe, expect, it } from 'vitest';
import { BerError, message, octets, Op, PartialBudget, PduFramer, PduRefusal, tlv } from '../../src/protocol/index.js';

const CODES = { tooLarge: 2, budget: 51 };
const LIMIT = 1 << 20;
const limitText = (): string => `the limit of ${LIMIT} bytes`;

/** A search entry message whose PDU is about `size` bytes (one-byte, two-byte or three-byte lengths). */
const entry = (id: number, size: number): Buffer => message(id, tlv(Op.searchResultEntry, octets('x'.repeat(size)), tlv(0x30)));

/** A chunk in a buffer of its own (not Node's shared pool), so that `pdu.buffer === chunk.buffer` says "a view of this read". */
const own = (bytes: Buffer): Buffer => {
  const chunk = Buffer.alloc(bytes.length);
  bytes.copy(chunk);
  return chunk;
};

const framer = (budget = new PartialBudget(1 << 24)): { framer: PduFramer; budget: PartialBudget } => ({ framer: new PduFramer(budget, CODES), budget });

/** Pushes each read and takes every PDU it completes. */
function frame(f: PduFramer, reads: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const read of reads) {
    f.push(read);
    for (let pdu = f.next(LIMIT, limitText); pdu !== undefined; pdu = f.next(LIMIT, limitText)) out.push(pdu);
  }
  return out;
}

// An unbind (7 bytes), entries with one-byte, two-byte and three-byte lengths: every header form.
const STREAM_PDUS = [message(1, tlv(0x42)), entry(2, 40), entry(3, 300), entry(4, 5)];
const STREAM = Buffer.concat(STREAM_PDUS);

describe('PduFramer', () => {
  it('hands out the PDUs of a stream split at every position across two reads, headers split too', () => {
    for (let i = 1; i < STREAM.length; i += 1) {
      const { framer: f, budget } = framer();
      expect(frame(f, [own(STREAM.subarray(0, i)), own(STREAM.subarray(i))])).toEqual(STREAM_PDUS);
      expect(f.held).toBe(0);
      expect(budget.used).toBe(0);
    }
  });

  it('hands out the PDUs of a stream split at every pair of positions across three reads', () => {
    // Compared as hex strings and gathered: tens of thousands of expect() calls would take minutes.
    const wanted = STREAM_PDUS.map((pdu) => pdu.toString('hex')).join(' ');
    const wrong: string[] = [];
    for (let i = 1; i < STREAM.length; i += 1) {
      for (let j = i + 1; j < STREAM.length; j += 1) {
        const { framer: f, budget } = framer();
        const reads = [STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)].map(own);
        const got = frame(f, reads)
          .map((pdu) => pdu.toString('hex'))
          .join(' ');
        if (got !== wanted || budget.used !== 0) wrong.push(`${i},${j}: ${got} (${budget.used} bytes charged)`);
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('gathers a PDU trickled a byte at a time, its header too, charging at most twice what it holds', () => {
    const big = entry(1, 70_000); // 0x30 0x83 …: the header spans four reads
    const { framer: f, budget } = framer();
    const out: Buffer[] = [];
    let overcharged = 0;
    for (let i = 0; i < big.length; i += 1) {
      out.push(...frame(f, [own(big.subarray(i, i + 1))]));
      if (budget.used > Math.max(256, 2 * f.held)) overcharged += 1;
    }
    expect(out).toEqual([big]);
    expect(overcharged).toBe(0);
    expect(out[0]!.buffer.byteLength).toBe(big.length); // grown to exactly its length, not past it
    expect(budget.used).toBe(0);
  });

  it('copies only what completes a PDU that spans reads: the PDUs after it are views of the new read', () => {
    const [a, b, c, d, e] = [entry(1, 30), entry(2, 500), entry(3, 800), entry(4, 60), entry(5, 70)];
    const first = own(Buffer.concat([a!, b!, c!.subarray(0, 300)]));
    const second = own(Buffer.concat([c!.subarray(300), d!, e!.subarray(0, 10)]));
    const { framer: f, budget } = framer();
    f.push(first);
    const fromFirst = [f.next(LIMIT, limitText)!, f.next(LIMIT, limitText)!];
    expect(fromFirst).toEqual([a, b]);
    for (const pdu of fromFirst) expect(pdu.buffer).toBe(first.buffer);
    expect(f.next(LIMIT, limitText)).toBeUndefined();
    // c's first 300 bytes, copied out of the first read: the read itself is no longer held.
    expect(budget.used).toBe(300);

    f.push(second);
    const spanning = f.next(LIMIT, limitText)!;
    expect(spanning).toEqual(c);
    expect(spanning.buffer).not.toBe(second.buffer);
    const after = f.next(LIMIT, limitText)!;
    expect(after).toEqual(d);
    expect(after.buffer).toBe(second.buffer); // not copied: a view of the read
    expect(after.byteOffset).toBe(second.byteOffset + c!.length - 300);
    expect(f.next(LIMIT, limitText)).toBeUndefined();
    expect(f.held).toBe(10);

    f.push(own(e!.subarray(10)));
    expect(f.next(LIMIT, limitText)).toEqual(e);
    expect(f.held).toBe(0);
    expect(budget.used).toBe(0);
  });

  it('gathers a PDU larger than a read in 64 KiB reads, and hands out the small ones around it', () => {
    const small = entry(1, 20);
    const big = entry(2, 300_000);
    const stream = Buffer.concat([small, big, small, small]);
    const reads: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 65536) reads.push(own(stream.subarray(at, at + 65536)));
    const { framer: f, budget } = framer();
    const out = frame(f, reads);
    expect(out.length).toBe(4);
    expect(out.every((pdu, i) => pdu.equals([small, big, small, small][i]!))).toBe(true); // toEqual over 300 KB takes a second
    expect(budget.used).toBe(0);
  });

  it('reads in place with locate: the PDU is the returned buffer between pduStart and pduEnd', () => {
    const { framer: f } = framer();
    const read = own(STREAM);
    f.push(read);
    for (const expected of STREAM_PDUS) {
      const buffer = f.locate(LIMIT, limitText)!;
      expect(buffer).toBe(read);
      expect(buffer.subarray(f.pduStart, f.pduEnd)).toEqual(expected);
    }
    expect(f.locate(LIMIT, limitText)).toBeUndefined();
  });

  it('keeps PDUs not yet taken across reads (a paused consumer), in order, charged until taken', () => {
    const { framer: f, budget } = framer();
    f.push(own(STREAM.subarray(0, 20)));
    expect(f.next(LIMIT, limitText)).toEqual(STREAM_PDUS[0]);
    f.push(own(STREAM.subarray(20, 200)));
    f.push(own(STREAM.subarray(200)));
    expect(budget.used).toBe(STREAM.length - STREAM_PDUS[0]!.length);
    const rest: Buffer[] = [];
    for (let pdu = f.next(LIMIT, limitText); pdu !== undefined; pdu = f.next(LIMIT, limitText)) rest.push(pdu);
    expect(rest).toEqual(STREAM_PDUS.slice(1));
    expect(budget.used).toBe(0);
  });

  it('gives back everything it holds when cleared, and shares one budget between framers', () => {
    const budget = new PartialBudget(1 << 20);
    const one = new PduFramer(budget, CODES);
    const two = new PduFramer(budget, CODES);
    one.push(own(entry(1, 5000).subarray(0, 3000)));
    expect(one.next(LIMIT, limitText)).toBeUndefined();
    two.push(own(STREAM.subarray(0, 100)));
    expect(budget.used).toBe(3000 + 100); // one's gathering buffer and two's read
    one.clear();
    two.clear();
    expect(budget.used).toBe(0);
    expect(one.held).toBe(0);
  });

  it('refuses a PDU announced over the limit from its header, also when the header spans reads', () => {
    const oversized = entry(1, 2000);
    const { framer: f } = framer();
    f.push(own(oversized.subarray(0, 8)));
    expect(() => f.next(1000, () => 'the limit of 1000 bytes')).toThrow(PduRefusal);

    const { framer: g, budget } = framer();
    g.push(own(oversized.subarray(0, 1)));
    expect(g.next(1000, () => 'the limit')).toBeUndefined();
    g.push(own(oversized.subarray(1, 3)));
    expect(g.next(1000, () => 'the limit')).toBeUndefined();
    g.push(own(oversized.subarray(3, 10)));
    let refusal: unknown;
    try {
      g.next(1000, () => 'the limit of 1000 bytes');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(PduRefusal);
    expect((refusal as PduRefusal).code).toBe(CODES.tooLarge);
    expect((refusal as PduRefusal).length).toBe(oversized.length);
    expect((refusal as PduRefusal).message).toBe(`message of ${oversized.length} bytes exceeds the limit of 1000 bytes`);
    expect(budget.used).toBeLessThan(1000); // the announced length was never charged
  });

  it('refuses bytes the budget cannot hold: a read, or a gathering buffer that must grow', () => {
    const { framer: f } = framer(new PartialBudget(1000));
    expect(() => f.push(Buffer.alloc(2000, 0x30))).toThrow(PduRefusal);

    const budget = new PartialBudget(4000);
    const g = new PduFramer(budget, CODES);
    const big = entry(1, 10_000);
    g.push(own(big.subarray(0, 1500)));
    expect(g.next(LIMIT, limitText)).toBeUndefined();
    g.push(own(big.subarray(1500, 2500)));
    expect(g.next(LIMIT, limitText)).toBeUndefined(); // grown to 3000 bytes
    g.push(own(big.subarray(2500, 3500)));
    expect(budget.used).toBe(4000);
    let refusal: unknown;
    try {
      g.next(LIMIT, limitText);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(PduRefusal);
    expect((refusal as PduRefusal).code).toBe(CODES.budget);
    expect((refusal as PduRefusal).length).toBeUndefined();
    g.clear();
    expect(budget.used).toBe(0);
  });

  it('refuses bytes that cannot start an LDAPMessage, and lengths LDAP does not allow', () => {
    const bad = (bytes: number[]): (() => void) => () => {
      const { framer: f } = framer();
      f.push(Buffer.from(bytes));
      f.next(LIMIT, limitText);
    };
    expect(bad([0x04, 0x01, 0x00])).toThrow(BerError);
    expect(bad([0x30, 0x80, 0x00, 0x00])).toThrow(/indefinite/);
    expect(bad([0x30, 0x85, 1, 1, 1, 1, 1])).toThrow(/too large/);
    // The same with the header split across reads.
    const { framer: f } = framer();
    f.push(Buffer.from([0x30]));
    expect(f.next(LIMIT, limitText)).toBeUndefined();
    f.push(Buffer.from([0x80, 0x00]));
    expect(() => f.next(LIMIT, limitText)).toThrow(/indefinite/);
  });
});
