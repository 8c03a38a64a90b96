/**
 * Parsed attribute maps of stored entries, reused while what is stored is unchanged.
 * Decoding an entry's JSON (or its stored encoding) was a fixed cost of every search result;
 * popular entries are read again and again. The maps are frozen, so a caller cannot change what the next
 * reader gets, and their identity is stable, so layers above can memoise work on them
 * (normalised values, views, encodings) in WeakMaps.
 */

/** A stored entry's attributes: canonical names to values, immutable. */
export type StoredAttributes = Readonly<Record<string, readonly string[]>>;

/**
 * What an entry's attributes are stored as: JSON text, or the protocol's encoding of them
 * (bytes the store cannot read itself; see {@link AttributeDecoder}).
 */
export type StoredForm = string | Buffer;

/** Reads attributes from their stored encoding (given to the store by the layers that know it). */
export type AttributeDecoder = (encoded: Buffer) => Record<string, string[]>;

/**
 * Bound on the stored forms held (characters of JSON, bytes of encodings). The parsed maps
 * take about nine times as much heap (8 MiB held 32,000 people: 70 MiB live), and under a
 * stream of writes to random entries every one evicted became old-generation garbage: the
 * writing process peaked at 200-262 MiB of anonymous memory under refresh x64 at 1,000,000
 * entries, 136-155 MiB with this bound, at the same rate. Searches for all user attributes
 * do not use the cache (they send the stored encoding), so it serves writes, base reads and
 * searches that select attributes: about 4,000 people or 1,500 conferences.
 */
const DEFAULT_MAX_SIZE = 1024 * 1024;

function freeze(attributes: Record<string, string[]>): StoredAttributes {
  for (const values of Object.values(attributes)) Object.freeze(values);
  return Object.freeze(attributes);
}

const same = (a: StoredForm, b: StoredForm): boolean => (typeof a === 'string' ? a === b : typeof b !== 'string' && a.equals(b));

/** Least-recently-used cache of parsed attributes by entry id. */
export class AttributeCache {
  readonly #byId = new Map<number, { stored: StoredForm; attributes: StoredAttributes }>();
  readonly #maxSize: number;
  readonly #decode: AttributeDecoder | undefined;
  #size = 0;

  constructor(maxSize = DEFAULT_MAX_SIZE, decode?: AttributeDecoder) {
    this.#maxSize = maxSize;
    this.#decode = decode;
  }

  /** The attributes stored as `stored` for entry `id`: the cached map when the stored form is the same. */
  get(id: number, stored: StoredForm): StoredAttributes {
    const hit = this.#byId.get(id);
    if (hit) {
      this.#byId.delete(id);
      this.#size -= hit.stored.length;
      // The stored form is compared, not a timestamp: two writes within one millisecond must
      // not leave the first one's attributes in the cache.
      if (same(hit.stored, stored)) {
        this.#remember(id, hit);
        return hit.attributes;
      }
    }
    const attributes = freeze(typeof stored === 'string' ? (JSON.parse(stored) as Record<string, string[]>) : this.#decoded(stored));
    this.#remember(id, { stored, attributes });
    return attributes;
  }

  #decoded(encoded: Buffer): Record<string, string[]> {
    if (!this.#decode) throw new Error('attributes stored encoded, and no decoder for them');
    return this.#decode(encoded);
  }

  /** Forgets an entry (deleted). */
  forget(id: number): void {
    const hit = this.#byId.get(id);
    if (!hit) return;
    this.#byId.delete(id);
    this.#size -= hit.stored.length;
  }

  #remember(id: number, item: { stored: StoredForm; attributes: StoredAttributes }): void {
    this.#byId.set(id, item);
    this.#size += item.stored.length;
    while (this.#size > this.#maxSize && this.#byId.size > 0) {
      const [oldest, old] = this.#byId.entries().next().value!;
      this.#byId.delete(oldest);
      this.#size -= old.stored.length;
    }
  }
}
