/**
 * Reading the entries a search may match: scans of a scope through the index query, in
 * batches so no cursor stays open while the caller waits, the conferences sharing a multicast
 * group with one being written, and SQLite's plan of a scan. Scan statements are prepared
 * once per search shape and kept.
 */
import type Database from 'better-sqlite3';
import type { AttributeCache } from './attribute-cache.js';
import type { ConferenceGroups, GroupRange } from './conference-groups.js';
import type { SqliteDatabase } from './database.js';
import { EncodedEntry } from './encoded-entry.js';
import { LIVE, type Span, type StoredEntry } from './entry.js';
import type { ScanRequest } from './query.js';
import { columns, fromRow, type EncodedRow, type Row } from './rows.js';
import { byIdsSql, scanSql, walksIndex, windowed, windowSql } from './search-sql.js';

/** Distinct search shapes whose statements are kept prepared. */
const MAX_CACHED_SCANS = 256;

/** Rows read per query of a scan. */
const SCAN_BATCH = 256;

/** The scans of the entries table. */
export class EntryScans {
  readonly #db: SqliteDatabase;
  readonly #cache: AttributeCache;
  readonly #groups: ConferenceGroups;
  readonly #byId;
  readonly #isLive;
  /** Scan statements by SQL text: a search shape is prepared once, not per query. */
  readonly #scans = new Map<string, Database.Statement<Array<string | number>>>();

  constructor(db: SqliteDatabase, cache: AttributeCache, groups: ConferenceGroups) {
    this.#db = db;
    this.#cache = cache;
    this.#groups = groups;
    this.#byId = db.prepare<[number], Row>(`SELECT ${columns('attributes')} FROM entries WHERE id = ?`).raw(true);
    this.#isLive = db.prepare<[string, number, number], { one: number }>(`SELECT 1 AS one FROM entries WHERE ndn = ? AND ${LIVE}`);
  }

  /** Whether a live entry has this normalised DN (without reading it). */
  isLive(ndn: string, now: number): boolean {
    return this.#isLive.get(ndn, now, now) !== undefined;
  }

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
    const firstLimit = Math.max(1, Math.min(SCAN_BATCH, request.wanted ?? SCAN_BATCH));
    const first = scanSql(request, firstLimit);
    const rows = this.#rows<Row | EncodedRow>(first.sql).all(...first.params);
    if (rows.length === 0) return request.liveBase === undefined || this.isLive(request.liveBase, request.now);
    for (const row of rows) yield entry(row);
    if (rows.length < firstLimit) return true;
    const afterId = rows.at(-1)![0];
    if (request.index && !walksIndex(request)) {
      // More than a batch: run the index query once for the remaining ids, then read rows by
      // id. Re-running it for every batch would make a scan of M matches cost about M²/256.
      // Not for a walk of an equality index, which continues along it below: reading all its
      // remaining ids first cost NetMeeting's listing, which stops at 1,001 of 100,000
      // people, 300 ms a search at 1,000,000 entries.
      const { sql, params } = scanSql({ ...request, afterId }, undefined, 'ids');
      const ids = this.#ids(sql).all(...params);
      for (let i = 0; i < ids.length; i += SCAN_BATCH) {
        for (const row of this.#rows<Row | EncodedRow>(byIdsSql(request.read ?? 'attributes')).all(JSON.stringify(ids.slice(i, i + SCAN_BATCH)), request.now, request.now)) yield entry(row);
      }
      return true;
    }
    // Without an index query, each batch continues from the last id through the primary key;
    // a walk of an equality index, from the last id along the index.
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
