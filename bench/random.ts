/**
 * Seeded pseudo-random numbers. Every generated entry draws from its own stream, derived from
 * the run's seed and the entry's index, so entry i is the same whichever process builds it and
 * in whatever order: the LDIF writer, the loader and the load workers agree without sharing
 * state.
 */

/** A 32-bit mix (the murmur3 finaliser): spreads (seed, index) pairs over the state space. */
function mix(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: tiny, fast and good enough for test data (not for anything secret). */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The stream of entry `index` of stream family `family` under `seed`. */
  static of(seed: number, family: number, index: number): Random {
    return new Random(mix(mix(seed ^ Math.imul(family, 0x9e3779b1)) ^ index));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}
