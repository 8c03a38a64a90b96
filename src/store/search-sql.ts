/**
 * The SQL of searches, in one place: a scan of a scope (with the index query, the base check
 * and paging folded into one statement), the time-window read of the time-clustered copy,
 * the read of rows by id, and the index query's own SQL over `entry_index` and the span
 * table. Each builder returns SQL text with its parameters; the entry store prepares them.
 */
import { windowRowsSql, WATERMARK_SQL } from './conference-windows.js';
import { LIVE, OPEN_END, PATH_END, PATH_SEPARATOR } from './entry.js';
import type { IndexQuery, ScanColumn, ScanRequest } from './query.js';
import { columns, WINDOW_COLUMNS } from './rows.js';

/** SQL text with its parameters. */
export interface SqlFragment {
  sql: string;
  params: Array<string | number>;
}

/** Live rows among the ids of a JSON array (still checked at read time), reading one large column. */
export const byIdsSql = (read: ScanColumn): string => `SELECT ${columns(read)} FROM entries WHERE id IN (SELECT value FROM json_each(?)) AND ${LIVE} ORDER BY id`;

/** Whether a scan is a time window read for its encodings, which {@link windowSql} answers. */
export const windowed = (request: ScanRequest): request is ScanRequest & { index: { op: 'span' } } =>
  request.index?.op === 'span' && request.read === 'encoded' && request.scope !== 'base';

/**
 * The SQL of a time window read for its encodings, in no order (at most `limit` rows): from
 * the time-clustered copy up to its watermark and from `entries` through the span index above
 * it, in one statement (one snapshot).
 */
export function windowSql(request: ScanRequest & { index: { op: 'span' } }, limit?: number): SqlFragment {
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
  const copied = part(`${WINDOW_COLUMNS} FROM ${windowRowsSql('w')}`, WINDOW_LIVE, (c) => `+w.${c}`, 'w.stop >= ?', [q.from]);
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

/** The condition of a scan's scope on a row's columns (named by `column`), with its parameters ({@link scopeParams}). */
function scopeSql(request: ScanRequest, column: (name: 'ndn' | 'parent' | 'path') => string): { sql: string; params: string[] } {
  const params = scopeParams(request);
  switch (request.scope) {
    case 'base':
      return { sql: `${column('ndn')} = ?`, params };
    case 'one':
      return { sql: `${column('parent')} = ?`, params };
    case 'sub':
      if (request.basePath === '') return { sql: '1', params };
      return { sql: `(${column('path')} = ? OR (${column('path')} > ? AND ${column('path')} < ?))`, params };
  }
}

/** The parameters of a scan's scope condition ({@link scopeSql}), in its order. */
function scopeParams(request: ScanRequest): string[] {
  if (request.scope !== 'sub') return [request.baseNdn];
  return request.basePath === '' ? [] : [request.basePath, request.basePath + PATH_SEPARATOR, request.basePath + PATH_END];
}

/**
 * The SQL of a scan, reading rows or only ids. An equality index query (the commonest
 * search, `(uid=...)`) becomes a join that walks the index in entry order: no IN-list, no
 * Bloom filter and no sort, about a third cheaper than the general `id IN (...)` form. Other
 * index queries may name an entry more than once (two values with one prefix), which `IN`
 * absorbs and a join would not.
 */
export function scanSql(request: ScanRequest, limit?: number, read: 'rows' | 'ids' = 'rows'): SqlFragment {
  const shape = scanShape(request, limit, read);
  if (shape === undefined) {
    // The index query's SQL and parameters are compiled once, for the text and its parameters.
    const compiled = request.index && !walksIndex(request) ? compileIndexQuery(request.index) : undefined;
    return { sql: scanText(request, limit, read, compiled), params: scanParams(request, limit, compiled) };
  }
  let sql = scanTexts.get(shape);
  if (sql === undefined) {
    if (scanTexts.size >= MAX_KEPT_TEXTS) scanTexts.clear();
    scanTexts.set(shape, (sql = scanText(request, limit, read)));
  }
  return { sql, params: scanParams(request, limit) };
}

/**
 * The text of scans whose text depends on their shape alone ({@link scanShape}): built and
 * hashed anew for every search, it was a few percent of an equality search; the same string
 * again is looked up in the statement cache by its hash, kept in the string. Few: four
 * scopes, a few flags, and the limits searches ask for (a page size and one more).
 */
const scanTexts = new Map<number, string>();

/**
 * Texts kept at most (a client choosing ever new page sizes starts the set over), and the
 * largest limit whose text is kept (an unusual one is built each time).
 */
const MAX_KEPT_TEXTS = 256;
const MAX_KEPT_LIMIT = 4096;

/**
 * A number naming the text of a scan without an index query, or with an equality one (what
 * searches send most: `(uid=...)`, an enumeration, a class): its scope, its flags and its
 * limit. Undefined for the other index queries, whose text depends on their terms.
 */
function scanShape(request: ScanRequest, limit: number | undefined, read: 'rows' | 'ids'): number | undefined {
  const op = request.index?.op;
  if ((op !== undefined && op !== 'eq') || (limit !== undefined && limit > MAX_KEPT_LIMIT)) return undefined;
  const scope = request.scope === 'base' ? 0 : request.scope === 'one' ? 1 : request.basePath === '' ? 3 : 2;
  const flags =
    scope |
    (op === 'eq' ? 4 : 0) |
    (request.afterId !== undefined ? 8 : 0) |
    (request.liveBase !== undefined && limit !== undefined ? 16 : 0) |
    (read === 'ids' ? 32 : 0) |
    (request.read === 'encoded' ? 64 : 0);
  return flags + 128 * (limit ?? 0);
}

type EqualityTerm = Extract<IndexQuery, { op: 'eq' }>;

/**
 * The equality terms of an index query that a scan answers by walking one index in entry
 * order: one term, or an AND of them (NetMeeting's listing: `(sappid=ms-netmeeting)` and
 * `(sprotid=h323)`), whose first term is walked and the others checked on each entry by a
 * lookup of entry_index's key. As an INTERSECT, SQLite built both sets whole before the first
 * row: 370 ms a listing at 100,000 people, where the walk stops at the search's size limit
 * or page. Undefined for other index queries.
 */
function equalityTerms(index: IndexQuery | undefined): readonly EqualityTerm[] | undefined {
  if (index?.op === 'eq') return [index];
  if (index?.op === 'and' && index.parts.length > 1 && index.parts.length <= MAX_WALKED_TERMS && index.parts.every((part) => part.op === 'eq')) return index.parts as EqualityTerm[];
  return undefined;
}

/**
 * Whether a scan walks an index in entry order ({@link equalityTerms}): a batch after the
 * first continues from the last id read along the same index (`entry_id > ?` in its key),
 * reading no more than the batch, as a scan without an index query continues along the
 * primary key.
 */
export const walksIndex = (request: ScanRequest): boolean => equalityTerms(request.index) !== undefined;

/**
 * The most equality terms of an AND answered by the walk: each other term is a subquery of
 * the statement, and SQLite refuses an expression tree deeper than 1,000 (a filter may have
 * 1,024 elements); a longer AND keeps the INTERSECT, which {@link compound} nests.
 */
const MAX_WALKED_TERMS = 16;

/**
 * The SQL text of a scan; its parameters are {@link scanParams}, in the same order.
 * `compiled`: the index query as SQL, when it is not walked (a kept shape has none).
 */
function scanText(request: ScanRequest, limit: number | undefined, read: 'rows' | 'ids', compiled?: SqlFragment): string {
  const terms = equalityTerms(request.index);
  const join = terms !== undefined;
  // With an index subquery SQLite walks its ids and reads each row by id; left indexable,
  // the scope's column made it probe that column's index for every id first (parent = ? AND
  // rowid = ?), a second random B-tree lookup that was a third of a time-window search at
  // 1,000,000 entries. A unary + keeps the column out of index choice; the row checks it.
  const scoped = request.index && !join ? '+' : '';
  let where = join ? 'i.attr = ? AND i.value = ? AND ' : '';
  where += scopeSql(request, (c) => (c === 'ndn' ? c : `${scoped}${c}`)).sql;
  where += ` AND ${LIVE}`;
  if (request.afterId !== undefined) where += ' AND id > ?';
  if (compiled) where += ` AND id IN (${compiled.sql})`;
  for (let k = 1; k < (terms?.length ?? 0); k += 1) where += ' AND EXISTS (SELECT 1 FROM entry_index AS c WHERE c.entry_id = e.id AND c.attr = ? AND c.value = ?)';
  // Uncorrelated, so SQLite evaluates it once per query.
  if (request.liveBase !== undefined && limit !== undefined) where += ` AND EXISTS (SELECT 1 FROM entries AS base WHERE base.ndn = ? AND ${LIVE})`;
  const what = read === 'ids' ? 'e.id' : columns(request.read ?? 'attributes', 'e');
  const from = join ? 'entry_index AS i CROSS JOIN entries AS e ON e.id = i.entry_id' : 'entries AS e';
  const order = join ? 'i.entry_id' : 'e.id';
  return `SELECT ${what} FROM ${from} WHERE ${where} ORDER BY ${order}${limit === undefined ? '' : ` LIMIT ${limit}`}`;
}

/** The parameters of {@link scanText}'s SQL, in its order. */
function scanParams(request: ScanRequest, limit: number | undefined, compiled?: SqlFragment): Array<string | number> {
  const terms = equalityTerms(request.index);
  const params: Array<string | number> = terms ? [terms[0]!.attr, terms[0]!.value] : [];
  params.push(...scopeParams(request), request.now, request.now);
  if (request.afterId !== undefined) params.push(request.afterId);
  if (compiled) params.push(...compiled.params);
  if (terms) for (const term of terms.slice(1)) params.push(term.attr, term.value);
  if (request.liveBase !== undefined && limit !== undefined) params.push(request.liveBase, request.now, request.now);
  return params;
}

/** Upper bound for every string starting with a prefix (U+10FFFF sorts after any character in UTF-8). */
const PREFIX_END = '\u{10FFFF}';

/** Compiles an index query to `SELECT entry_id ...` SQL. */
export function compileIndexQuery(q: IndexQuery): SqlFragment {
  switch (q.op) {
    case 'eq':
      return { sql: 'SELECT entry_id FROM entry_index WHERE attr = ? AND value = ?', params: [q.attr, q.value] };
    case 'prefix':
      return { sql: 'SELECT entry_id FROM entry_index WHERE attr = ? AND value >= ? AND value < ?', params: [q.attr, q.prefix, q.prefix + PREFIX_END] };
    case 'span':
      // Permanent and unbounded conferences overlap every window: without the open-end bounds
      // each window search read all of them (about 2,000 of 1,000,000 in the benchmark's data).
      return { sql: 'SELECT id AS entry_id FROM conference_spans WHERE lo <= ? AND hi >= ? AND lo > ? AND hi < ?', params: [q.to, q.from, -OPEN_END / 2, OPEN_END / 2] };
    case 'time': {
      const column = q.edge === 'start' ? 'lo' : 'hi';
      // An open end stands for a missing time (see OPEN_END).
      let sql = `SELECT id AS entry_id FROM conference_spans WHERE ${column} > ? AND ${column} < ?`;
      const params = [-OPEN_END / 2, OPEN_END / 2];
      if (q.from !== undefined) {
        sql += ` AND ${column} >= ?`;
        params.push(widen(q.from, -1));
      }
      if (q.to !== undefined) {
        sql += ` AND ${column} <= ?`;
        params.push(widen(q.to, 1));
      }
      return { sql, params };
    }
    case 'range': {
      const params = [q.attr];
      let sql = 'SELECT entry_id FROM entry_index WHERE attr = ?';
      if (q.lower !== undefined) {
        sql += ' AND value >= ?';
        params.push(q.lower);
      }
      if (q.upper !== undefined) {
        sql += ' AND value <= ?';
        params.push(q.upper);
      }
      return { sql, params };
    }
    case 'and':
    case 'or': {
      // Compound children are wrapped: SQLite evaluates INTERSECT and UNION left to right.
      const parts = (q.op === 'or' ? equalitiesAsLists(q.parts) : q.parts).map((part) => {
        const c = part.op === 'in' ? inList(part) : compileIndexQuery(part);
        return part.op === 'and' || part.op === 'or' ? wrap(c) : c;
      });
      return compound(parts, q.op === 'and' ? ' INTERSECT ' : ' UNION ');
    }
  }
}

/**
 * Most terms of one compound SELECT written here: SQLite refuses more than 500
 * (SQLITE_MAX_COMPOUND_SELECT), and a filter may have 1,024 elements.
 */
const MAX_COMPOUND_TERMS = 250;

/** Equality terms on one attribute, as one list. */
type InList = { op: 'in'; attr: string; values: string[] };

/**
 * The parts of an OR with its equality terms on one attribute gathered into one list each,
 * in the place of the first: `(|(cn=a)(cn=b)...)` is one index lookup per value, in one
 * statement whatever their number.
 */
function equalitiesAsLists(parts: readonly IndexQuery[]): Array<IndexQuery | InList> {
  const lists = new Map<string, InList>();
  const out: Array<IndexQuery | InList> = [];
  for (const part of parts) {
    if (part.op !== 'eq') {
      out.push(part);
      continue;
    }
    const list = lists.get(part.attr);
    if (list) list.values.push(part.value);
    else {
      const created: InList = { op: 'in', attr: part.attr, values: [part.value] };
      lists.set(part.attr, created);
      out.push(created);
    }
  }
  return out.map((part) => (part.op === 'in' && part.values.length === 1 ? { op: 'eq', attr: part.attr, value: part.values[0]! } : part));
}

/** An equality list as SQL: the values travel as one JSON array, so the statement is the same for any number. */
const inList = (q: InList): SqlFragment => ({
  sql: 'SELECT entry_id FROM entry_index WHERE attr = ? AND value IN (SELECT value FROM json_each(?))',
  params: [q.attr, JSON.stringify(q.values)],
});

const wrap = (c: SqlFragment): SqlFragment => ({ sql: `SELECT entry_id FROM (${c.sql})`, params: c.params });

/** Terms joined by INTERSECT or UNION, in nested groups of at most {@link MAX_COMPOUND_TERMS} (both are associative). */
function compound(parts: readonly SqlFragment[], operator: ' INTERSECT ' | ' UNION '): SqlFragment {
  if (parts.length > MAX_COMPOUND_TERMS) {
    const groups: SqlFragment[] = [];
    for (let i = 0; i < parts.length; i += MAX_COMPOUND_TERMS) groups.push(wrap(compound(parts.slice(i, i + MAX_COMPOUND_TERMS), operator)));
    return compound(groups, operator);
  }
  return { sql: parts.map((p) => p.sql).join(operator), params: parts.flatMap((p) => p.params) };
}

/**
 * Widens a bound past the rounding of the R*Tree, which keeps 32-bit floats and rounds each
 * box outwards by less than 2^-22 of the value (SQLite's rtreeValueDown/Up: about 430 s for
 * times of this century). Monotonic, so a time at or past a bound is kept at or past the
 * widened bound.
 */
const widen = (x: number, direction: -1 | 1): number => x + direction * Math.abs(x) * 2 ** -21;
