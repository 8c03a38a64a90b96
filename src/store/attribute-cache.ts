/**
 * Parsed attribute maps of stored entries, reused while the stored text is unchanged.
 * Decoding an entry's JSON was a fixed cost of every search result; popular entries are
 * read again and again. The maps are frozen, so a caller cannot change what the next
 * reader gets, and their identity is stable, so layers above can memoise work on them
 * (normalised values, views, encodings) in WeakMaps.
 */

/** A stored entry's attributes: canonical names to values, immutable. */
export type StoredAttributes = Readonly<Record<string, readonly string[]>>;

/** Bound on the JSON text held (characters); the parsed maps take a small multiple of it. */
const DEFAULT_MAX_CHARS = 8 * 1024 * 1024;

function freeze(attributes: Record<string, string[]>): StoredAttributes {
  for (const values of Object.values(attributes)) Object.freeze(values);
  return Object.freeze(attributes);
}

/** Least-recently-used cache of parsed attributes by entry id. */
export class AttributeCache {
  readonly #byId = new Map<number, { text: string; attributes: StoredAttributes }>();
  readonly #maxChars: number;
  #chars = 0;

  constructor(maxChars = DEFAULT_MAX_CHARS) {
    this.#maxChars = maxChars;
  }

  /** The attributes stored as `text` for entry `id`: the cached map when the text is the same. */
  get(id: number, text: string): StoredAttributes {
    const hit = this.#byId.get(id);
    if (hit) {
      this.#byId.delete(id);
      this.#chars -= hit.text.length;
      // The text is compared, not a timestamp: two writes within one millisecond must not
      // leave the first one's attributes in the cache.
      if (hit.text === text) {
        this.#remember(id, hit);
        return hit.attributes;
      }
    }
    const attributes = freeze(JSON.parse(text) as Record<string, string[]>);
    this.#remember(id, { text, attributes });
    return attributes;
  }

  /** Forgets an entry (deleted). */
  forget(id: number): void {
    const hit = this.#byId.get(id);
    if (!hit) return;
    this.#byId.delete(id);
    this.#chars -= hit.text.length;
  }

  #remember(id: number, item: { text: string; attributes: StoredAttributes }): void {
    this.#byId.set(id, item);
    this.#chars += item.text.length;
    while (this.#chars > this.#maxChars && this.#byId.size > 0) {
      const [oldest, old] = this.#byId.entries().next().value!;
      this.#byId.delete(oldest);
      this.#chars -= old.text.length;
    }
  }
}
