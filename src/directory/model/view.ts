/**
 * An entry as a search returns it, and the protocol's codec of its attributes, which the
 * directory stores with each entry without knowing its format. Types only: the directory's
 * context, the entry view and src/ldap share them.
 */

/** One attribute of a returned entry. Binary values are latin1 strings (one char per byte). */
export interface ViewAttribute {
  name: string;
  values: string[];
  binary: boolean;
}

/** An entry as a search returns it. */
export interface EntryView {
  dn: string;
  attributes: ViewAttribute[];
  /**
   * The attributes as stored encoded with the entry (the store's `StoredEntry.encoded`); when
   * present, `attributes` is left empty and the protocol layer sends these bytes.
   */
  encoded?: Buffer;
}

/**
 * The protocol's encoding of a search result entry's attributes (src/ldap/responses.ts), and
 * how to read one attribute's values back: the directory stores the encoding with each entry
 * and evaluates filters on it, without knowing its format.
 */
export interface AttributeCodec {
  encode(attributes: readonly ViewAttribute[]): Buffer;
  /** The values of the attribute named `name` (as `encode` was given it); binary ones as latin1. */
  values(encoded: Buffer, name: string, binary: boolean): string[] | undefined;
  /** Every attribute, as `encode` was given them; `binary` tells by name which values are bytes. */
  read(encoded: Buffer, binary: (name: string) => boolean): ViewAttribute[];
  /**
   * The encoding of the attributes of `encoded` whose names, lower-cased, are in `keys`, in
   * their order there: the bytes copied as they are, nothing decoded.
   */
  select(encoded: Buffer, keys: ReadonlySet<string>): Buffer;
}
