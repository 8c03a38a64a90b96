/**
 * Entry rows as the statements read them: the column lists every statement that reads
 * entries selects, the arrays they give (better-sqlite3's raw mode), and the
 * {@link StoredEntry} a whole row becomes.
 */
import type { AttributeCache, StoredAttributes } from './attribute-cache.js';
import type { StoredEntry } from './entry.js';
import type { ScanColumn } from './query.js';

/**
 * The columns of an entry row, in the order every row statement selects them: the encoding
 * holds the attributes, and `sendable` says whether it is what a search result sends.
 */
const COLUMNS = ['id', 'dn', 'ndn', 'parent', 'path', 'creator', 'modifier', 'created_at', 'modified_at', 'uuid', 'expires_at', 'ends_at', 'encoded', 'sendable', 'csn'] as const;

/**
 * What a scan of the encoding reads of a row ({@link EncodedRow}): a search that sends the
 * bytes needs no more, and each further text column cost a string per row to make and
 * collect (the rest is read by id if a filter asks for it: {@link EncodedEntry}). The
 * encoding only where a result sends it as it is: an entry with values a result leaves out
 * reads as one without, and the search reads its attributes instead.
 */
const ENCODED_COLUMNS = ['id', 'dn', 'expires_at', 'ends_at', 'encoded'] as const;

/**
 * {@link ENCODED_COLUMNS} from the time-clustered copy (aliased `w`), whose `encoded` is
 * already what a search sends, or NULL.
 */
export const WINDOW_COLUMNS = ENCODED_COLUMNS.map((c) => `w.${c}`).join(', ');

/** Column lists by alias and large column, built once. */
const columnLists = new Map<string, string>();

/**
 * The column list a statement reads of `entries`, qualified by a table alias when given: the
 * whole row of {@link COLUMNS} (read for the attributes), or the {@link ENCODED_COLUMNS}.
 * Kept once built: every search asks for one.
 */
export const columns = (only: ScanColumn, alias?: string): string => {
  const key = `${alias ?? ''}/${only}`;
  let list = columnLists.get(key);
  if (list === undefined) {
    const column = (c: string): string => (alias ? `${alias}.${c}` : c);
    list =
      only === 'encoded'
        ? ENCODED_COLUMNS.map((c) => (c === 'encoded' ? `CASE ${column('sendable')} WHEN 1 THEN ${column('encoded')} END AS encoded` : column(c))).join(', ')
        : COLUMNS.map(column).join(', ');
    columnLists.set(key, list);
  }
  return list;
};

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
  creator: string,
  modifier: string,
  createdAt: number,
  modifiedAt: number,
  uuid: string,
  expiresAt: number | null,
  endsAt: number | null,
  encoded: Buffer,
  sendable: 0 | 1,
  csn: string,
];

/** An entry from its whole row, its attributes decoded (or found in the cache) from its encoding. */
export function fromRow(r: Row, cache: AttributeCache): StoredEntry {
  return entryOf(r, cache.get(r[0], r[12]));
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
  creator: r[5],
  modifier: r[6],
  createdAt: r[7],
  modifiedAt: r[8],
  uuid: r[9],
  expiresAt: r[10],
  endsAt: r[11],
  encoded: r[13] === 1 ? r[12] : null,
  csn: r[14],
});
