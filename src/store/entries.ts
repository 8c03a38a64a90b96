/**
 * Entries in SQLite: prepared statements for lookups, writes and scoped candidate scans.
 */
import type Database from 'better-sqlite3';
import { ConferenceGroups, type GroupRange } from './conference-groups.js';
import { ConferenceWindows, WATERMARK_SQL, windowRowsSql } from './conference-windows.js';
import { writeTransaction, type SqliteDatabase } from './database.js';
import { AttributeCache, type AttributeDecoder, type StoredAttributes, type StoredForm } from './attribute-cache.js';
import { compileIndexQuery, type IndexQuery } from './index-query.js';

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
  /** When the TTL of a dynamic entry lapses (ms); null for static entries. */
  expiresAt: number | null;
  /** When a bounded conference is removed, whatever its TTL (ms); null otherwise. */
  endsAt: number | null;
  /**
   * The user attributes as a search result carries them, encoded by the protocol layer
   * when the entry was written (opaque here, read back by the store's decoder). A scan of
   * the encoding reads it (see {@link ScanRequest.read}), and so does every read of an entry
   * stored without its JSON; null otherwise, and when none is stored.
   */
  encoded: Buffer | null;
}

/**
 * What a refresh reads of an entry: who owns it and when it lapses, not its attributes.
 * Under a stream of refreshes the one writing process decoded and cached every entry it
 * refreshed, old-generation garbage once evicted (measured: 48 MiB of its peak under
 * refresh x64 at 1,000,000 entries).
 */
export type EntryHead = Pick<StoredEntry, 'id' | 'dn' | 'creator' | 'expiresAt' | 'endsAt'>;

/** Whether an entry is visible at `now` (ms): neither its TTL nor its conference has run out. */
export function isLiveAt(entry: Pick<StoredEntry, 'expiresAt' | 'endsAt'>, now: number): boolean {
  return (entry.expiresAt === null || entry.expiresAt > now) && (entry.endsAt === null || entry.endsAt > now);
}

/** The SQL form of {@link isLiveAt}; binds `now` twice. */
const LIVE = '(expires_at IS NULL OR expires_at > ?) AND (ends_at IS NULL OR ends_at > ?)';

/** A conference's time span in seconds since the Unix epoch, for the R*Tree. */
export type Span = readonly [lo: number, hi: number];

/** A row of `entry_index`. */
export interface IndexRow {
  attr: string;
  value: string;
}

/** Search scopes, as LDAP numbers them. */
export type Scope = 'base' | 'one' | 'sub';

/** Where and what to scan. */
export interface ScanRequest {
  scope: Scope;
  /** Normalised base DN. */
  baseNdn: string;
  /** Path of the base (for subtree). */
  basePath: string;
  /** Restrict to entries the index says may match. */
  index?: IndexQuery | undefined;
  /** Only entries with a larger id (paging). */
  afterId?: number;
  /** Entries expiring at or before this instant (ms) are invisible. */
  now: number;
  /**
   * The normalised DN of an entry that must be live for the scan to find anything (the
   * search base); checked inside the first query, so a search costs one statement.
   */
  liveBase?: string | undefined;
  /**
   * What to read of each row: the whole row with the attributes (the default; from the
   * encoding where that is their only copy), or the DN and the stored encoding (a search
   * that sends the bytes), the rest of the row coming from a query by id if asked for.
   */
  read?: ScanColumn;
}

/** The large column a scan reads. */
export type ScanColumn = 'attributes' | 'encoded';

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
const columns = (only: ScanColumn, alias?: string): string => {
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
const storedAttributesSql = "CASE attributes WHEN '' THEN encoded ELSE attributes END";

/**
 * A row as an array (better-sqlite3's raw mode): building an object with thirteen keys for
 * every row was a measurable part of every search.
 */
type Row = [
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
function fromRow(r: Row, cache: AttributeCache): StoredEntry {
  return entryOf(r, cache.get(r[0], r[5] === '' ? r[13]! : r[5]));
}

/** A row as a scan of the encoding reads it ({@link ENCODED_COLUMNS}). */
type EncodedRow = [id: number, dn: string, expiresAt: number | null, endsAt: number | null, encoded: Buffer | null];

/**
 * An entry read for its encoding. The rest of its row (the attributes, the operational
 * columns) is read by id when first asked for: a filter on createTimestamp, or an entry kept
 * without an encoding. An entry deleted since the scan read it has no attributes and empty
 * operational columns. Those fields are accessors of the class, so a spread (`{ ...entry }`)
 * copies only id, dn, the deadlines and the encoding: a write reads the entry with
 * {@link EntryStore.get} instead, as every write does.
 */
class EncodedEntry implements StoredEntry {
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
  get attributes(): StoredAttributes {
    return (this.#attributes ??= this.#full().attributes);
  }
  set attributes(value: StoredAttributes) {
    this.#attributes = value;
  }
}

/** What an entry deleted before the rest of its row was read has: nothing. */
const GONE: Omit<StoredEntry, 'id' | 'dn' | 'expiresAt' | 'endsAt'> = { ndn: '', parent: '', path: '', attributes: Object.freeze({}), creator: '', modifier: '', createdAt: 0, modifiedAt: 0, uuid: '', encoded: null };

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

/**
 * The earliest deadline. The aggregate min skips NULLs (the two-argument scalar min would
 * return NULL); the IS NOT NULL terms let SQLite read it off the partial indexes instead of
 * scanning every entry (a full scan per expiry at 1,000,000 entries, found by the benchmark).
 */
export const NEXT_DEADLINE_SQL =
  'SELECT min(at) AS at FROM (SELECT min(expires_at) AS at FROM entries WHERE expires_at IS NOT NULL UNION ALL SELECT min(ends_at) FROM entries WHERE ends_at IS NOT NULL)';

/** Distinct search shapes whose statements are kept prepared. */
const MAX_CACHED_SCANS = 256;

/** Rows read per query of a scan. */
const SCAN_BATCH = 256;

/** Separator of RDNs in `path`; the next code point bounds a subtree range. */
export const PATH_SEPARATOR = '\u0001';
const PATH_END = '\u0002';

/** The entries table. */
export class EntryStore {
  readonly #db: SqliteDatabase;
  readonly #get;
  readonly #head;
  readonly #insert;
  readonly #update;
  readonly #delete;
  readonly #insertIndex;
  readonly #deleteIndex;
  readonly #hasChildren;
  readonly #setExpiry;
  readonly #putSpan;
  readonly #deleteSpan;
  readonly #nextDeadline;
  readonly #due;
  readonly #descendants;
  readonly #byId;
  readonly #after;
  readonly #isLive;
  readonly #cache: AttributeCache;
  /** Whether entries with an encoding are stored without their JSON (the store can read the encoding). */
  readonly #encodingOnly: boolean;
  readonly #groups: ConferenceGroups;
  readonly #windows: ConferenceWindows;
  /** Scan statements by SQL text: a search shape is prepared once, not per query. */
  readonly #scans = new Map<string, Database.Statement<Array<string | number>>>();

  /**
   * `decode` reads attributes back from an entry's encoding: given it, an entry written with
   * an encoding is stored without its JSON, so each entry holds its attributes once (the two
   * copies doubled the rows: 3.7 GB at 1,000,000 conferences, most of it read from disk).
   * Without it, the JSON is always stored. Either store reads both kinds of row.
   */
  constructor(db: SqliteDatabase, decode?: AttributeDecoder) {
    this.#db = db;
    this.#cache = new AttributeCache(undefined, decode);
    this.#encodingOnly = decode !== undefined;
    this.#get = db.prepare<[string], Row>(`SELECT ${columns('attributes')} FROM entries WHERE ndn = ?`).raw(true);
    this.#head = db.prepare<[string], EntryHead>('SELECT id, dn, creator, expires_at AS expiresAt, ends_at AS endsAt FROM entries WHERE ndn = ?');
    this.#insert = db.prepare(
      `INSERT INTO entries (dn, ndn, parent, path, attributes, creator, modifier, created_at, modified_at, uuid, expires_at, ends_at, encoded)
       VALUES (@dn, @ndn, @parent, @path, @attributes, @creator, @modifier, @createdAt, @modifiedAt, @uuid, @expiresAt, @endsAt, @encoded)`,
    );
    this.#update = db.prepare(
      'UPDATE entries SET attributes = @attributes, modifier = @modifier, modified_at = @modifiedAt, expires_at = @expiresAt, ends_at = @endsAt, encoded = @encoded WHERE id = @id',
    );
    this.#delete = db.prepare('DELETE FROM entries WHERE id = ?');
    this.#insertIndex = db.prepare('INSERT INTO entry_index (entry_id, attr, value) VALUES (?, ?, ?)');
    this.#deleteIndex = db.prepare('DELETE FROM entry_index WHERE entry_id = ?');
    this.#setExpiry = db.prepare('UPDATE entries SET expires_at = ? WHERE id = ?');
    this.#putSpan = db.prepare('INSERT OR REPLACE INTO conference_spans (id, lo, hi) VALUES (?, ?, ?)');
    this.#deleteSpan = db.prepare('DELETE FROM conference_spans WHERE id = ?');
    this.#hasChildren = db.prepare<[string, number, number], { one: number }>(`SELECT 1 AS one FROM entries WHERE parent = ? AND ${LIVE} LIMIT 1`);
    this.#nextDeadline = db.prepare<[], { at: number | null }>(NEXT_DEADLINE_SQL);
    this.#due = db.prepare<[number, number], Row>(`SELECT ${columns('attributes')} FROM entries WHERE expires_at <= ? UNION SELECT ${columns('attributes')} FROM entries WHERE ends_at <= ?`).raw(true);
    this.#byId = db.prepare<[number], Row>(`SELECT ${columns('attributes')} FROM entries WHERE id = ?`).raw(true);
    this.#after = db.prepare<[number, number], Row>(`SELECT ${columns('attributes')} FROM entries WHERE id > ? ORDER BY id LIMIT ?`).raw(true);
    this.#isLive = db.prepare<[string, number, number], { one: number }>(`SELECT 1 AS one FROM entries WHERE ndn = ? AND ${LIVE}`);
    this.#descendants = db.prepare<[string, string], Row>(`SELECT ${columns('attributes')} FROM entries WHERE path > ? AND path < ?`).raw(true);
    this.#groups = new ConferenceGroups(db);
    this.#windows = new ConferenceWindows(db);
  }

  /** Whether a transaction is open on the database. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /** Runs `fn` in one write transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return writeTransaction(this.#db, fn);
  }

  /** The entry with this normalised DN, expired or not. */
  get(ndn: string): StoredEntry | undefined {
    const row = this.#get.get(ndn);
    return row ? fromRow(row, this.#cache) : undefined;
  }

  /** The head of the entry with this normalised DN, expired or not: {@link EntryHead}. */
  head(ndn: string): EntryHead | undefined {
    return this.#head.get(ndn);
  }

  /** Whether a live entry has this normalised DN (without reading it). */
  isLive(ndn: string, now: number): boolean {
    return this.#isLive.get(ndn, now, now) !== undefined;
  }

  /** Whether any live entry sits directly below `ndn`. */
  hasChildren(ndn: string, now: number): boolean {
    return this.#hasChildren.get(ndn, now, now) !== undefined;
  }

  /** Inserts an entry with its index rows (and a conference's time span and multicast groups); returns its id. */
  insert(entry: Omit<StoredEntry, 'id'>, index: readonly IndexRow[], span?: Span, groups: readonly GroupRange[] = []): number {
    const id = Number(this.#insert.run({ ...entry, attributes: this.#json(entry), encoded: entry.encoded }).lastInsertRowid);
    for (const row of index) this.#insertIndex.run(id, row.attr, row.value);
    if (span) this.#putSpan.run(id, span[0], span[1]);
    if (groups.length > 0) this.#groups.put(id, groups);
    // Above the watermark the copier copies it; at or below (an id reused after the highest
    // entries were deleted), it is copied now.
    if (id <= this.#windows.upto()) this.#windows.add(id, span, entry);
    return id;
  }

  /** The JSON column of an entry: '' when its encoding holds the attributes (see the constructor). */
  #json(entry: Pick<StoredEntry, 'attributes' | 'encoded'>): string {
    return this.#encodingOnly && entry.encoded !== null ? '' : JSON.stringify(entry.attributes);
  }

  /** Replaces an entry's attributes, index rows, time span and multicast groups. */
  update(entry: StoredEntry, index: readonly IndexRow[], span?: Span, groups: readonly GroupRange[] = []): void {
    this.#update.run({ id: entry.id, attributes: this.#json(entry), modifier: entry.modifier, modifiedAt: entry.modifiedAt, expiresAt: entry.expiresAt, endsAt: entry.endsAt, encoded: entry.encoded });
    this.#deleteIndex.run(entry.id);
    for (const row of index) this.#insertIndex.run(entry.id, row.attr, row.value);
    if (span) this.#putSpan.run(entry.id, span[0], span[1]);
    else this.#deleteSpan.run(entry.id);
    this.#groups.put(entry.id, groups);
    if (entry.id <= this.#windows.upto()) this.#windows.put(entry.id, span, entry);
  }

  /**
   * Fills the span table for entries stored before it existed (a database from before
   * migration 004); a no-op once any span is there or when no entry has a start time.
   */
  backfillSpans(spanOf: (attributes: StoredAttributes) => Span | undefined): void {
    if (this.#db.prepare('SELECT 1 FROM conference_spans LIMIT 1').get()) return;
    if (!this.#db.prepare("SELECT 1 FROM entry_index WHERE attr = 'objectclass' AND value = 'rtconference' LIMIT 1").get()) return;
    this.transaction(() => {
      for (const row of this.#db.prepare<[], { id: number; stored: StoredForm }>(`SELECT id, ${storedAttributesSql} AS stored FROM entries WHERE id IN (SELECT entry_id FROM entry_index WHERE attr = 'objectclass' AND value = 'rtconference')`).all()) {
        const span = spanOf(this.#read(row.id, row.stored));
        if (span) this.#putSpan.run(row.id, span[0], span[1]);
      }
    });
  }

  /** Fills the multicast groups table for a database from before migration 005; a no-op once done. */
  backfillGroups(groupsOf: (attributes: StoredAttributes) => readonly GroupRange[]): void {
    this.#groups.backfill((id, stored) => groupsOf(this.#read(id, stored)), storedAttributesSql);
  }

  /**
   * Copies the next entries above the watermark into the time-clustered table (the bounded
   * conferences among them), at most `limit`, in one write transaction, and moves the
   * watermark past them. Returns how many entries it read: fewer than `limit` once the copy
   * is up to date.
   */
  copyWindows(limit: number, spanOf: (attributes: StoredAttributes) => Span | undefined): number {
    return this.transaction(() => {
      const rows = this.#after.all(this.#windows.upto(), limit);
      for (const row of rows) {
        const entry = fromRow(row, this.#cache);
        this.#windows.add(entry.id, spanOf(entry.attributes), entry);
      }
      if (rows.length > 0) this.#windows.setUpto(rows.at(-1)![0]);
      return rows.length;
    });
  }

  /** The attributes of an entry from what its row stores (JSON or encoding), parsed once while unchanged. */
  readonly #read = (id: number, stored: StoredForm): StoredAttributes => this.#cache.get(id, stored);

  /**
   * Live entries, in id order, holding an address of one of `groups` with a time span
   * overlapping `span`: the only conferences that can clash with them. The caller still checks
   * the times exactly (the span table rounds outwards). Read in batches, like {@link scan}.
   */
  *usingGroups(groups: readonly GroupRange[], span: Span, now: number): Generator<StoredEntry> {
    const ids = this.#groups.candidates(groups, span);
    for (let i = 0; i < ids.length; i += SCAN_BATCH) {
      for (const row of this.#rows(byIdsSql('attributes')).all(JSON.stringify(ids.slice(i, i + SCAN_BATCH)), now, now)) yield fromRow(row, this.#cache);
    }
  }

  /** Sets when an entry expires (a refresh: attributes and index unchanged). */
  setExpiry(id: number, expiresAt: number): void {
    this.#setExpiry.run(expiresAt, id);
    if (id <= this.#windows.upto()) this.#windows.setExpiry(id, expiresAt);
  }

  /** The earliest moment any entry expires or ends (ms), if any does. */
  nextDeadline(): number | undefined {
    return this.#nextDeadline.get()?.at ?? undefined;
  }

  /**
   * Deletes, in one transaction, every entry whose TTL or conference end has passed at `now`,
   * with whatever sat below it (unreachable once its parent is gone). Returns what was deleted.
   */
  deleteDue(now: number): StoredEntry[] {
    return this.transaction(() => {
      const gone = new Map<number, StoredEntry>();
      for (const row of this.#due.all(now, now)) {
        const entry = fromRow(row, this.#cache);
        gone.set(entry.id, entry);
        for (const child of this.#descendants.all(entry.path + PATH_SEPARATOR, entry.path + PATH_END)) gone.set(child[0], fromRow(child, this.#cache));
      }
      for (const id of gone.keys()) this.delete(id);
      return [...gone.values()];
    });
  }

  /** Deletes an entry (its index rows go with it). */
  delete(id: number): void {
    this.#delete.run(id);
    this.#cache.forget(id);
  }

  /**
   * Live entries in scope that the index query admits, in id order. The caller still
   * evaluates the full filter on each. Returns false, having yielded nothing, when
   * `liveBase` is not a live entry. Rows are read in batches, so no cursor stays open
   * while the caller waits (a slow reader must not block writers).
   */
  *scan(request: ScanRequest): Generator<StoredEntry, boolean> {
    // Most searches match a handful of entries: one query, with the index subquery (and the
    // base check) in it.
    const entry =
      request.read === 'encoded'
        ? (row: Row | EncodedRow): StoredEntry => new EncodedEntry(row as EncodedRow, this.#readById)
        : (row: Row | EncodedRow): StoredEntry => fromRow(row as Row, this.#cache);
    if (windowed(request)) {
      // Unordered (sorting the rows with their encodings cost a third of the query), one more
      // than a batch: a window that fits is sorted here; a larger one, rare, takes the
      // ordered path below from the start.
      const { sql, params } = windowSql(request, SCAN_BATCH + 1);
      const rows = this.#rows<EncodedRow>(sql).all(...params);
      if (rows.length <= SCAN_BATCH) {
        if (rows.length === 0) return request.liveBase === undefined || this.isLive(request.liveBase, request.now);
        rows.sort((a, b) => a[0] - b[0]);
        for (const row of rows) yield entry(row);
        return true;
      }
    }
    const first = scanSql(request, SCAN_BATCH);
    const rows = this.#rows<Row | EncodedRow>(first.sql).all(...first.params);
    if (rows.length === 0) return request.liveBase === undefined || this.isLive(request.liveBase, request.now);
    for (const row of rows) yield entry(row);
    if (rows.length < SCAN_BATCH) return true;
    const afterId = rows.at(-1)![0];
    if (request.index) {
      // More than a batch: run the index query once for the remaining ids, then read rows by
      // id. Re-running it for every batch would make a scan of M matches cost about M²/256.
      const { sql, params } = scanSql({ ...request, afterId }, undefined, 'ids');
      const ids = this.#ids(sql).all(...params);
      for (let i = 0; i < ids.length; i += SCAN_BATCH) {
        for (const row of this.#rows<Row | EncodedRow>(byIdsSql(request.read ?? 'attributes')).all(JSON.stringify(ids.slice(i, i + SCAN_BATCH)), request.now, request.now)) yield entry(row);
      }
      return true;
    }
    // Without an index query, each batch continues from the last id through the primary key.
    for (let after = afterId; ; ) {
      const { sql, params } = scanSql({ ...request, afterId: after }, SCAN_BATCH);
      const batch = this.#rows<Row | EncodedRow>(sql).all(...params);
      for (const row of batch) yield entry(row);
      if (batch.length < SCAN_BATCH) return true;
      after = batch.at(-1)![0];
    }
  }

  /** The whole row of an entry by id, for an entry a scan read only for its encoding. */
  readonly #readById = (id: number): StoredEntry | undefined => {
    const row = this.#byId.get(id);
    return row ? fromRow(row, this.#cache) : undefined;
  };

  /** The prepared statement of a scan's SQL, reading rows (of either column list: {@link columns}). */
  #rows<R extends Row | EncodedRow = Row>(sql: string): Database.Statement<Array<string | number>, R> {
    return this.#scanStatement(sql, (statement) => statement.raw(true)) as Database.Statement<Array<string | number>, R>;
  }

  /** The prepared statement of a scan's SQL, reading ids. */
  #ids(sql: string): Database.Statement<Array<string | number>, number> {
    return this.#scanStatement(sql, (statement) => statement.pluck(true)) as Database.Statement<Array<string | number>, number>;
  }

  #scanStatement(sql: string, mode: (statement: Database.Statement<Array<string | number>>) => Database.Statement<Array<string | number>>): Database.Statement<Array<string | number>> {
    let statement = this.#scans.get(sql);
    if (!statement) {
      if (this.#scans.size >= MAX_CACHED_SCANS) this.#scans.delete(this.#scans.keys().next().value!);
      statement = mode(this.#db.prepare<Array<string | number>>(sql));
      this.#scans.set(sql, statement);
    }
    return statement;
  }

  /** SQLite's plan for a scan, so tests can prove a search uses the indexes. */
  explain(request: ScanRequest): string[] {
    const { sql, params } = windowed(request) ? windowSql(request) : scanSql(request);
    return (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
  }
}

/** Live rows among the ids of a JSON array (still checked at read time), reading one large column. */
const byIdsSql = (read: ScanColumn): string => `SELECT ${columns(read)} FROM entries WHERE id IN (SELECT value FROM json_each(?)) AND ${LIVE} ORDER BY id`;

/** Whether a scan is a time window read for its encodings, which {@link windowSql} answers. */
const windowed = (request: ScanRequest): request is ScanRequest & { index: { op: 'span' } } =>
  request.index?.op === 'span' && request.read === 'encoded' && request.scope !== 'base';

/**
 * The SQL of a time window read for its encodings, in no order (at most `limit` rows): from
 * the time-clustered copy up to its watermark and from `entries` through the span index above
 * it, in one statement (one snapshot).
 */
function windowSql(request: ScanRequest & { index: { op: 'span' } }, limit?: number): { sql: string; params: Array<string | number> } {
  const q = request.index;
  const params: Array<string | number> = [];
  const part = (source: string, live: string, column: (name: 'ndn' | 'parent' | 'path') => string, where: string, whereParams: Array<string | number>): string => {
    // Unary +: the scope is checked on the rows read, never by an (automatic) index.
    const scope = scopeSql(request, column);
    let sql = `SELECT ${source} WHERE ${where} AND ${scope.sql} AND ${live}`;
    params.push(...whereParams, ...scope.params, request.now, request.now);
    if (request.afterId !== undefined) {
      sql += ' AND id > ?';
      params.push(request.afterId);
    }
    return sql;
  };
  const spans = compileIndexQuery(q);
  params.push(q.from, q.to);
  const copied = part(`${columns('encoded', 'w')} FROM ${windowRowsSql('w')}`, WINDOW_LIVE, (c) => `+w.${c}`, 'w.stop >= ?', [q.from]);
  // Above the watermark, entries are walked by id from it (few, once the copy is up to date)
  // and checked against the span index; driven by the span index instead, SQLite read every
  // row of the window from `entries`, copied or not.
  const above = part(`${columns('encoded')} FROM entries`, LIVE, (c) => `+${c}`, `id > ${WATERMARK_SQL} AND +id IN (${spans.sql})`, spans.params);
  let sql = `SELECT * FROM (${copied} UNION ALL ${above})`;
  if (request.liveBase !== undefined) {
    sql += ` WHERE EXISTS (SELECT 1 FROM entries AS base WHERE base.ndn = ? AND ${LIVE})`;
    params.push(request.liveBase, request.now, request.now);
  }
  return { sql: limit === undefined ? sql : `${sql} LIMIT ${limit}`, params };
}

/** {@link LIVE} on the rows of conference_windows, aliased `w`. */
const WINDOW_LIVE = LIVE.replaceAll(/(expires_at|ends_at)/g, 'w.$1');

/** The condition of a scan's scope on a row's columns (named by `column`). */
function scopeSql(request: ScanRequest, column: (name: 'ndn' | 'parent' | 'path') => string): { sql: string; params: string[] } {
  switch (request.scope) {
    case 'base':
      return { sql: `${column('ndn')} = ?`, params: [request.baseNdn] };
    case 'one':
      return { sql: `${column('parent')} = ?`, params: [request.baseNdn] };
    case 'sub':
      if (request.basePath === '') return { sql: '1', params: [] };
      return { sql: `(${column('path')} = ? OR (${column('path')} > ? AND ${column('path')} < ?))`, params: [request.basePath, request.basePath + PATH_SEPARATOR, request.basePath + PATH_END] };
  }
}

/**
 * The SQL of a scan, reading rows or only ids. An equality index query (the commonest
 * search, `(uid=...)`) becomes a join that walks the index in entry order: no IN-list, no
 * Bloom filter and no sort, about a third cheaper than the general `id IN (...)` form. Other
 * index queries may name an entry more than once (two values with one prefix), which `IN`
 * absorbs and a join would not.
 */
function scanSql(request: ScanRequest, limit?: number, read: 'rows' | 'ids' = 'rows'): { sql: string; params: Array<string | number> } {
  const params: Array<string | number> = [];
  const join = request.index?.op === 'eq' ? request.index : undefined;
  // With an index subquery SQLite walks its ids and reads each row by id; left indexable,
  // the scope's column made it probe that column's index for every id first (parent = ? AND
  // rowid = ?), a second random B-tree lookup that was a third of a time-window search at
  // 1,000,000 entries. A unary + keeps the column out of index choice; the row checks it.
  const scoped = request.index && !join ? '+' : '';
  let where = '';
  if (join) {
    where = 'i.attr = ? AND i.value = ? AND ';
    params.push(join.attr, join.value);
  }
  const scope = scopeSql(request, (c) => (c === 'ndn' ? c : `${scoped}${c}`));
  where += scope.sql;
  params.push(...scope.params);
  where += ` AND ${LIVE}`;
  params.push(request.now, request.now);
  if (request.afterId !== undefined) {
    where += ' AND id > ?';
    params.push(request.afterId);
  }
  if (request.index && !join) {
    const q = compileIndexQuery(request.index);
    where += ` AND id IN (${q.sql})`;
    params.push(...q.params);
  }
  if (request.liveBase !== undefined && limit !== undefined) {
    // Uncorrelated, so SQLite evaluates it once per query.
    where += ` AND EXISTS (SELECT 1 FROM entries AS base WHERE base.ndn = ? AND ${LIVE})`;
    params.push(request.liveBase, request.now, request.now);
  }
  const what = read === 'ids' ? 'e.id' : columns(request.read ?? 'attributes', 'e');
  const from = join ? 'entry_index AS i CROSS JOIN entries AS e ON e.id = i.entry_id' : 'entries AS e';
  const order = join ? 'i.entry_id' : 'e.id';
  return { sql: `SELECT ${what} FROM ${from} WHERE ${where} ORDER BY ${order}${limit === undefined ? '' : ` LIMIT ${limit}`}`, params };
}
