/**
 * The indexable part of a search filter, already in normal forms, and its translation to
 * SQL over `entry_index`. The directory decides what is indexable; the store only runs it.
 */

/** A condition entry_index can answer. Every query yields a superset of the matches. */
/**
 * Far enough to stand for "no bound" in the span table (seconds; year 5138): a conference
 * without a start time spans from -OPEN_END, one without a stop time to OPEN_END.
 */
export const OPEN_END = 1e11;

export type IndexQuery =
  | { op: 'eq'; attr: string; value: string }
  | { op: 'range'; attr: string; lower?: string; upper?: string }
  | { op: 'prefix'; attr: string; prefix: string }
  | { op: 'present'; attr: string }
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

/** SQL text with its parameters. */
export interface SqlFragment {
  sql: string;
  params: Array<string | number>;
}

/** Upper bound for every string starting with a prefix (U+10FFFF sorts after any character in UTF-8). */
const PREFIX_END = '\u{10FFFF}';

/** Compiles a query to `SELECT entry_id ...` SQL. */
export function compileIndexQuery(q: IndexQuery): SqlFragment {
  switch (q.op) {
    case 'eq':
      return { sql: 'SELECT entry_id FROM entry_index WHERE attr = ? AND value = ?', params: [q.attr, q.value] };
    case 'prefix':
      return { sql: 'SELECT entry_id FROM entry_index WHERE attr = ? AND value >= ? AND value < ?', params: [q.attr, q.prefix, q.prefix + PREFIX_END] };
    case 'present':
      return { sql: 'SELECT entry_id FROM entry_index WHERE attr = ?', params: [q.attr] };
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
      const parts = q.parts.map((part) => {
        const c = compileIndexQuery(part);
        return part.op === 'and' || part.op === 'or' ? { sql: `SELECT entry_id FROM (${c.sql})`, params: c.params } : c;
      });
      return {
        sql: parts.map((p) => p.sql).join(q.op === 'and' ? ' INTERSECT ' : ' UNION '),
        params: parts.flatMap((p) => p.params),
      };
    }
  }
}

/**
 * Widens a bound past the rounding of the R*Tree, which keeps 32-bit floats and rounds each
 * box outwards by less than 2^-22 of the value (SQLite's rtreeValueDown/Up: about 430 s for
 * times of this century). Monotonic, so a time at or past a bound is kept at or past the
 * widened bound.
 */
const widen = (x: number, direction: -1 | 1): number => x + direction * Math.abs(x) * 2 ** -21;
