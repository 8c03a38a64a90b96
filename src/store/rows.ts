/**
 * Entry rows as the statements read them: the column lists every statement that reads
 * entries selects, the arrays they give (better-sqlite3's raw mode), and the
 * {@link StoredEntry} a whole row becomes.
 */
import type { AttributeCache, StoredAttributes } from './attribute-cache.js';
import type { StoredEntry } from './entry.js';
import type { ScanColumn } from './query.js';

/** The columns of an entry row, in the order every row statement selects them. */
const COLUMNS = ['id', 'dn', 'ndn', 'parent', 'path', 'attributes', 'creator', 'modifier', 'created_at', 'modified_at', 'uuid', 'expires_at', 'ends_at', 'encoded'] as const;

/**
 * What a scan of the encoding reads of a row ({@link EncodedRow}): a search that sends the
 * bytes needs no more, and each further text column cost a string per row to make and
 * collect (the rest is read by id if a filter asks for it: {@link EncodedEntry}).
 */
const ENCODED_COLUMNS = ['id', 'dn', 'expires_at', 'ends_at', 'encoded'] as const;

/** Column lists by alias and large column, built once. */
const columnLists = new Map<string, string>();

/**
 * The column list a scan reads, qualified by a table alias when given: the row of
 * {@link COLUMNS} with the attributes (read from the encoding only where it is what holds
 * them: the JSON is '', {@link storedAttributesSql}), or the {@link ENCODED_COLUMNS}.
 * Kept once built: every search asks for one.
 */
export const columns = (only: ScanColumn, alias?: string): string => {
  const key = `${alias ?? ''}/${only}`;
  let list = columnLists.get(key);
  if (list === undefined) {
    const column = (c: string): string => (alias ? `${alias}.${c}` : c);
    list =
      only === 'encoded'
        ? ENCODED_COLUMNS.map(column).join(', ')
        : COLUMNS.map((c) => (c === 'encoded' ? `CASE ${column('attributes')} WHEN '' THEN ${column('encoded')} END AS encoded` : column(c))).join(', ');
    columnLists.set(key, list);
  }
  return list;
};

/**
 * An entry's attributes as stored: the JSON, or the encoding when the JSON is '' (written so
 * by a store with a decoder, to keep each entry's attributes once; see {@link EntryStore}).
 */
export const storedAttributesSql = "CASE attributes WHEN '' THEN encoded ELSE attributes END";

/**
 * A row as an array (better-sqlite3's raw mode): building an object with thirteen keys for
 * every row was a measurable part of every search.
 */
export type Row = [
  id: number,
  dn: string,
  ndn: string,
  parent: string,
  path: string,
  attributes: string,
  creator: string,
  modifier: string,
  createdAt: number,
  modifiedAt: number,
  uuid: string,
  expiresAt: number | null,
  endsAt: number | null,
  encoded: Buffer | null,
];

/** An entry from its whole row, its attributes parsed (or found in the cache) from what the row stores. */
export function fromRow(r: Row, cache: AttributeCache): StoredEntry {
  return entryOf(r, cache.get(r[0], r[5] === '' ? r[13]! : r[5]));
}

/** A row as a scan of the encoding reads it ({@link ENCODED_COLUMNS}). */
export type EncodedRow = [id: number, dn: string, expiresAt: number | null, endsAt: number | null, encoded: Buffer | null];

/** The entry of a row, with these attributes. */
const entryOf = (r: Row, attributes: StoredAttributes): StoredEntry => ({
  id: r[0],
  dn: r[1],
  ndn: r[2],
  parent: r[3],
  path: r[4],
  attributes,
  creator: r[6],
  modifier: r[7],
  createdAt: r[8],
  modifiedAt: r[9],
  uuid: r[10],
  expiresAt: r[11],
  endsAt: r[12],
  encoded: r[13],
});
