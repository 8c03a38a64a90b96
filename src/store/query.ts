/**
 * What a search asks of the store: which rows ({@link ScanRequest}: scope, base, paging, the
 * moment that decides liveness), the indexable part of its filter already in normal forms
 * ({@link IndexQuery}: the directory decides what is indexable, the store only runs it), and
 * which large column to read ({@link ScanColumn}). The SQL they become is in search-sql.ts.
 */

/** Where and what to scan. */
export interface ScanRequest {
  /** The base entry itself, the entries directly below it, or its whole subtree. */
  scope: 'base' | 'one' | 'sub';
  /** Normalised base DN. */
  baseNdn: string;
  /** Path of the base (for subtree). */
  basePath: string;
  /** Restrict to entries the index says may match. */
  index?: IndexQuery | undefined;
  /** Only entries with a larger id (paging). */
  afterId?: number | undefined;
  /**
   * How many matches the caller reads at most (a page and one more): the first read asks for
   * no more rows than that, where a page of 100 read a batch of 256 and left most unsent.
   */
  wanted?: number | undefined;
  /** Entries expiring at or before this instant (ms) are invisible. */
  now: number;
  /**
   * The normalised DN of an entry that must be live for the scan to find anything (the
   * search base); checked inside the first query, so a search costs one statement.
   */
  liveBase?: string | undefined;
  /**
   * What to read of each row: the whole row, its attributes decoded (the default), or the DN
   * and the encoding a search sends (a search that sends the bytes; null for an entry whose
   * encoding is not that), the rest of the row coming from a query by id if asked for.
   */
  read?: ScanColumn;
}

/** The large column a scan reads. */
export type ScanColumn = 'attributes' | 'encoded';

/** A condition entry_index (or the span table) can answer. Every query yields a superset of the matches. */
export type IndexQuery =
  | { op: 'eq'; attr: string; value: string }
  | { op: 'range'; attr: string; lower?: string; upper?: string }
  | { op: 'prefix'; attr: string; prefix: string }
  /**
   * Conferences whose time span overlaps [from, to], in seconds since the Unix epoch, and
   * that have both a start and a stop time (a span with an open end stands for a missing
   * one: no `startTime <= T` or `stopTime >= T` term can match it).
   */
  | { op: 'span'; from: number; to: number }
  /**
   * Conferences whose start (or stop) time lies in [from, to], in seconds since the Unix
   * epoch; without bounds, those that have one. Read off the same span table: a conference's
   * times are kept there and nowhere else in the index.
   */
  | { op: 'time'; edge: 'start' | 'stop'; from?: number; to?: number }
  | { op: 'and'; parts: IndexQuery[] }
  | { op: 'or'; parts: IndexQuery[] };
