/**
 * The attributes of an entry as the library writes and reads them. Servers spell attribute
 * names as they like (`conferenceblob`, `sIPAddress`), so reading is by any of an
 * attribute's names, case-insensitively.
 */
import type { Entry } from 'ldapts';

/** One attribute value as sent: text, or bytes for binary attributes. */
export type AttributeValue = string | Buffer;

/** Attribute name (as the library spells it) → values. An empty list means "absent". */
export type AttributeMap = ReadonlyMap<string, readonly AttributeValue[]>;

/** An entry returned by a search, with case-insensitive access to its attributes. */
export class EntryReader {
  readonly dn: string;
  readonly #values = new Map<string, AttributeValue[]>();

  constructor(entry: Entry) {
    this.dn = entry.dn;
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'dn') continue;
      const values = Array.isArray(value) ? value : [value];
      if (values.length > 0) this.#values.set(name.toLowerCase(), values as AttributeValue[]);
    }
  }

  /**
   * An entry read off the wire by the library itself (live searches): values as text, but
   * those of `binary` attributes (by name, any case) as bytes, as ldapts returns them when
   * asked to.
   */
  static fromAttributes(dn: string, attributes: ReadonlyArray<{ type: string; values: readonly Buffer[] }>, binary: readonly string[]): EntryReader {
    const bytes = new Set(binary.map((name) => name.toLowerCase()));
    const entry: Entry = { dn };
    for (const { type, values } of attributes) {
      entry[type] = bytes.has(type.toLowerCase()) ? [...values] : values.map((v) => v.toString('utf8'));
    }
    return new EntryReader(entry);
  }

  /** Every value of the first of `names` the entry has, as text. */
  texts(...names: string[]): string[] {
    for (const name of names) {
      const values = this.#values.get(name.toLowerCase());
      if (values) return values.map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
    }
    return [];
  }

  /** The first value of the first of `names` the entry has, as text. */
  text(...names: string[]): string | undefined {
    return this.texts(...names)[0];
  }

  /** The first value as bytes (for attributes requested as buffers). */
  bytes(name: string): Buffer | undefined {
    const value = this.#values.get(name.toLowerCase())?.[0];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }
}

/** Do two attribute value lists hold the same values in the same order? */
export function sameValues(a: readonly AttributeValue[] = [], b: readonly AttributeValue[] = []): boolean {
  if (a.length !== b.length) return false;
  return a.every((value, i) => {
    const other = b[i]!;
    return typeof value === 'string' && typeof other === 'string' ? value === other : Buffer.from(value).equals(Buffer.from(other));
  });
}
