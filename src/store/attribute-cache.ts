/**
 * How the store holds an entry's attributes, and the parsed maps of stored entries reused
 * while what is stored is unchanged. Every row keeps its attributes once, as the protocol's
 * encoding ({@link AttributeEncoding}, handed in by the layers that know it). Decoding an
 * entry's encoding was a fixed cost of every read; popular entries are read again and again.
 * The maps are frozen, so a caller cannot change what the next reader gets, and their
 * identity is stable, so layers above can memoise work on them (normalised values, views,
 * encodings) in WeakMaps.
 */

/** A stored entry's attributes: canonical names to values, immutable. */
export type StoredAttributes = Readonly<Record<string, readonly string[]>>;

/**
 * The bytes an entry's attributes are stored as, and back: the protocol's encoding of an
 * attribute list (a search result's PartialAttributeList), opaque to the store.
 */
export interface AttributeEncoding {
  /**
   * Every attribute with every value, empty values included, in the form `decode` reads:
   * how an entry is stored whose search result leaves values out.
   */
  encode(attributes: StoredAttributes): Buffer;
  /** The attributes of an encoding `encode` wrote, or of a search result's encoding of them. */
  decode(encoded: Buffer): Record<string, string[]>;
}

/**
 * Bound on the encodings held (bytes). The parsed maps take about nine times as much heap
 * (8 MiB held 32,000 people: 70 MiB live), and under a stream of writes to random entries
 * every one evicted became old-generation garbage: the writing process peaked at 200-262 MiB
 * of anonymous memory under refresh x64 at 1,000,000 entries, 136-155 MiB with this bound, at
 * the same rate. Searches for all user attributes do not use the cache (they send the stored
 * encoding), so it serves writes, base reads and searches that select attributes: about
 * 4,000 people or 1,500 conferences.
 */
const DEFAULT_MAX_SIZE = 1024 * 1024;

function freeze(attributes: Record<string, string[]>): StoredAttributes {
  for (const values of Object.values(attributes)) Object.freeze(values);
  return Object.freeze(attributes);
}

/** Least-recently-used cache of parsed attributes by entry id. */
export class AttributeCache {
  readonly #byId = new Map<number, { stored: Buffer; attributes: StoredAttributes }>();
  readonly #decode: (encoded: Buffer) => Record<string, string[]>;
  readonly #maxSize: number;
  #size = 0;

  constructor(decode: (encoded: Buffer) => Record<string, string[]>, maxSize = DEFAULT_MAX_SIZE) {
    this.#decode = decode;
    this.#maxSize = maxSize;
  }

  /** The attributes stored as `stored` for entry `id`: the cached map when the stored bytes are the same. */
  get(id: number, stored: Buffer): StoredAttributes {
    const hit = this.#byId.get(id);
    if (hit) {
      this.#byId.delete(id);
      this.#size -= hit.stored.length;
      // The stored bytes are compared, not a timestamp: two writes within one millisecond
      // must not leave the first one's attributes in the cache.
      if (hit.stored.equals(stored)) {
        this.#remember(id, hit);
        return hit.attributes;
      }
    }
    const attributes = freeze(this.#decode(stored));
    this.#remember(id, { stored, attributes });
    return attributes;
  }

  /** Forgets an entry (deleted). */
  forget(id: number): void {
    const hit = this.#byId.get(id);
    if (!hit) return;
    this.#byId.delete(id);
    this.#size -= hit.stored.length;
  }

  #remember(id: number, item: { stored: Buffer; attributes: StoredAttributes }): void {
    this.#byId.set(id, item);
    this.#size += item.stored.length;
    while (this.#size > this.#maxSize && this.#byId.size > 0) {
      const [oldest, old] = this.#byId.entries().next().value!;
      this.#byId.delete(oldest);
      this.#size -= old.stored.length;
    }
  }
}
