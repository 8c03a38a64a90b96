/**
 * The row model: what the store keeps of an entry ({@link StoredEntry}), the part a refresh
 * reads ({@link EntryHead}), the rows that index it besides its own ({@link IndexRow},
 * {@link Span}), the format of its subtree path, and when it is live (in code and in SQL).
 */
import type { StoredAttributes } from './attribute-cache.js';

/** An entry as stored. Attribute names are canonical; values are as the client sent them. */
export interface StoredEntry {
  id: number;
  dn: string;
  ndn: string;
  parent: string;
  path: string;
  attributes: StoredAttributes;
  creator: string;
  modifier: string;
  createdAt: number;
  modifiedAt: number;
  uuid: string;
  /**
   * The entry's entryCSN: the change sequence number of its last change (src/directory/sync
   * makes them), '' until its first change is recorded.
   */
  csn: string;
  /** When the TTL of a dynamic entry lapses (ms); null for static entries. */
  expiresAt: number | null;
  /** When a bounded conference is removed, whatever its TTL (ms); null otherwise. */
  endsAt: number | null;
  /**
   * The user attributes as a search result carries them, encoded by the protocol layer
   * when the entry was written (opaque here): what the row stores, and what a search for all
   * user attributes sends. Null for an entry with values a result leaves out (an empty
   * value): the store then keeps every value in the same encoding itself
   * ({@link AttributeEncoding.encode}), which no search may send as it is.
   */
  encoded: Buffer | null;
}

/**
 * What a refresh reads of an entry: who owns it and when it lapses, not its attributes.
 * Under a stream of refreshes the one writing process decoded and cached every entry it
 * refreshed, old-generation garbage once evicted (measured: 48 MiB of its peak under
 * refresh x64 at 1,000,000 entries).
 */
export type EntryHead = Pick<StoredEntry, 'id' | 'dn' | 'path' | 'uuid' | 'creator' | 'expiresAt' | 'endsAt'>;

/** Whether an entry is visible at `now` (ms): neither its TTL nor its conference has run out. */
export function isLiveAt(entry: Pick<StoredEntry, 'expiresAt' | 'endsAt'>, now: number): boolean {
  return (entry.expiresAt === null || entry.expiresAt > now) && (entry.endsAt === null || entry.endsAt > now);
}

/** The SQL form of {@link isLiveAt}; binds `now` twice. */
export const LIVE = '(expires_at IS NULL OR expires_at > ?) AND (ends_at IS NULL OR ends_at > ?)';

/** A conference's time span in seconds since the Unix epoch, for the R*Tree. */
export type Span = readonly [lo: number, hi: number];

/**
 * Far enough to stand for "no bound" in the span table (seconds; year 5138): a conference
 * without a start time spans from -OPEN_END, one without a stop time to OPEN_END.
 */
export const OPEN_END = 1e11;

/** A row of `entry_index`. */
export interface IndexRow {
  attr: string;
  value: string;
}

/**
 * Separator of RDNs in `path`; the next code point bounds a subtree range. The path is the
 * store's index of the tree (a subtree is a range of it), so the store alone joins it:
 * {@link entryPath}.
 */
export const PATH_SEPARATOR = '\u0001';
export const PATH_END = '\u0002';

/**
 * The `path` of an entry whose normalised RDNs are `rdns`, most specific first as a DN lists
 * them: root first, joined by {@link PATH_SEPARATOR}, which no RDN may contain (the
 * directory's normal form escapes it), so that an entry's subtree is the range of paths
 * between its own followed by the separator and its own followed by {@link PATH_END}.
 */
export const entryPath = (rdns: readonly string[]): string => [...rdns].reverse().join(PATH_SEPARATOR);
