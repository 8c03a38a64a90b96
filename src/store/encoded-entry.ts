/**
 * An entry a scan read for its stored encoding only ({@link EncodedRow}), with the rest of
 * its row read by id on first use.
 */
import type { StoredAttributes } from './attribute-cache.js';
import type { StoredEntry } from './entry.js';
import type { EncodedRow } from './rows.js';

/**
 * An entry read for its encoding. The rest of its row (the attributes, the operational
 * columns) is read by id when first asked for: a filter on createTimestamp, or an entry kept
 * without an encoding. An entry deleted since the scan read it has no attributes and empty
 * operational columns. Those fields are accessors of the class, so a spread (`{ ...entry }`)
 * copies only id, dn, the deadlines and the encoding: a write reads the entry with
 * {@link EntryStore.get} instead, as every write does.
 */
export class EncodedEntry implements StoredEntry {
  readonly id: number;
  readonly dn: string;
  expiresAt: number | null;
  endsAt: number | null;
  readonly encoded: Buffer | null;
  readonly #read: (id: number) => StoredEntry | undefined;
  #rest: StoredEntry | undefined;
  #attributes: StoredAttributes | undefined;

  constructor(row: EncodedRow, read: (id: number) => StoredEntry | undefined) {
    [this.id, this.dn, this.expiresAt, this.endsAt, this.encoded] = row;
    this.#read = read;
  }

  #full(): StoredEntry {
    return (this.#rest ??= this.#read(this.id) ?? { ...GONE, id: this.id, dn: this.dn, expiresAt: this.expiresAt, endsAt: this.endsAt });
  }

  get ndn(): string {
    return this.#full().ndn;
  }
  get parent(): string {
    return this.#full().parent;
  }
  get path(): string {
    return this.#full().path;
  }
  get creator(): string {
    return this.#full().creator;
  }
  get modifier(): string {
    return this.#full().modifier;
  }
  get createdAt(): number {
    return this.#full().createdAt;
  }
  get modifiedAt(): number {
    return this.#full().modifiedAt;
  }
  get uuid(): string {
    return this.#full().uuid;
  }
  get csn(): string {
    return this.#full().csn;
  }
  get attributes(): StoredAttributes {
    return (this.#attributes ??= this.#full().attributes);
  }
  set attributes(value: StoredAttributes) {
    this.#attributes = value;
  }
}

/** What an entry deleted before the rest of its row was read has: nothing. */
const GONE: Omit<StoredEntry, 'id' | 'dn' | 'expiresAt' | 'endsAt'> = { ndn: '', parent: '', path: '', attributes: Object.freeze({}), creator: '', modifier: '', createdAt: 0, modifiedAt: 0, uuid: '', encoded: null, csn: '' };
