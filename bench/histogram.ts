/**
 * Latency histogram in microseconds: exact below 128 µs, then 64 buckets per power of two
 * (under 1.6% error). Fixed size and cheap to record, so every operation is counted, not a
 * sample; mergeable across load workers, which send their counts as (bucket, count) pairs.
 */

const EXACT = 128;
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
/** Buckets for values up to 2^31 µs (35 minutes). */
const SIZE = EXACT + (31 - 7) * SUB;

function bucketOf(us: number): number {
  const v = Math.min(Math.max(0, Math.round(us)), 0x7fffffff);
  if (v < EXACT) return v;
  const exponent = 31 - Math.clz32(v);
  return EXACT + (exponent - 7) * SUB + ((v >>> (exponent - SUB_BITS)) & (SUB - 1));
}

/** Middle of a bucket, in µs. */
function valueOf(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const exponent = 7 + Math.floor((bucket - EXACT) / SUB);
  const low = (SUB + ((bucket - EXACT) % SUB)) * 2 ** (exponent - SUB_BITS);
  return low + 2 ** (exponent - SUB_BITS) / 2;
}

export class Histogram {
  readonly counts = new Float64Array(SIZE);
  total = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]! += 1;
    this.total += 1;
  }

  /** Non-empty buckets, to send to another process. */
  toPairs(): Array<[number, number]> {
    const pairs: Array<[number, number]> = [];
    this.counts.forEach((count, bucket) => {
      if (count > 0) pairs.push([bucket, count]);
    });
    return pairs;
  }

  add(pairs: ReadonlyArray<[number, number]>): void {
    for (const [bucket, count] of pairs) {
      this.counts[bucket]! += count;
      this.total += count;
    }
  }

  /** The q-quantile (0..1) in µs; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < SIZE; bucket += 1) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return valueOf(bucket);
    }
    return valueOf(SIZE - 1);
  }
}
