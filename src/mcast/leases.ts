/**
 * Leases and free runs in SQLite (schema/003-multicast.sql): prepared statements only. The
 * allocator decides; this module reads and writes rows. Offsets are into a scope's pool.
 */
import { writeTransaction, type SqliteDatabase } from '../store/index.js';
import type { Run } from './policy.js';

/** A lease row. */
export interface LeaseRow {
  id: number;
  leaseId: string;
  scope: string;
  lo: number;
  hi: number;
  start: number;
  end: number;
  created: number;
  client: string;
}

interface Row {
  id: number;
  lease_id: string;
  scope: string;
  lo: number;
  hi: number;
  start_at: number;
  end_at: number;
  created_at: number;
  client: string;
}

const fromRow = (r: Row): LeaseRow => ({ id: r.id, leaseId: r.lease_id, scope: r.scope, lo: r.lo, hi: r.hi, start: r.start_at, end: r.end_at, created: r.created_at, client: r.client });

/** The three tables of the allocator. */
export class LeaseStore {
  readonly #db: SqliteDatabase;
  readonly #statements;
  /** Most addresses a lease may hold: bounds `lo` in interval lookups so they stay index ranges. */
  readonly #span: number;

  constructor(db: SqliteDatabase, maximumAddresses: number) {
    this.#db = db;
    this.#span = maximumAddresses;
    this.#statements = {
      poolSize: db.prepare<[string], { pool_size: number }>('SELECT pool_size FROM mcast_scopes WHERE scope = ?'),
      setPoolSize: db.prepare('INSERT INTO mcast_scopes (scope, pool_size) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET pool_size = excluded.pool_size'),
      byLeaseId: db.prepare<[string], Row>('SELECT * FROM mcast_leases WHERE lease_id = ?'),
      insert: db.prepare(
        'INSERT INTO mcast_leases (lease_id, scope, lo, hi, start_at, end_at, created_at, client) VALUES (@leaseId, @scope, @lo, @hi, @start, @end, @created, @client)',
      ),
      setWindow: db.prepare('UPDATE mcast_leases SET start_at = ?, end_at = ? WHERE id = ?'),
      delete: db.prepare('DELETE FROM mcast_leases WHERE id = ?'),
      ended: db.prepare<[number], Row>('SELECT * FROM mcast_leases WHERE end_at <= ? ORDER BY end_at'),
      all: db.prepare<[], Row>('SELECT * FROM mcast_leases ORDER BY scope, lo, start_at'),
      any: db.prepare<[], { one: number }>('SELECT 1 AS one FROM mcast_leases LIMIT 1'),
      allOfScope: db.prepare<[string], Row>('SELECT * FROM mcast_leases WHERE scope = ? ORDER BY lo'),
      // Leases of a scope holding any of lo..hi at any time: lo is bounded below by the span.
      holdingEver: db.prepare<[string, number, number, number], Row>('SELECT * FROM mcast_leases WHERE scope = ? AND lo BETWEEN ? AND ? AND hi >= ?'),
      holdingDuring: db.prepare<[string, number, number, number, number, number], Row>(
        'SELECT * FROM mcast_leases WHERE scope = ? AND lo BETWEEN ? AND ? AND hi >= ? AND start_at < ? AND end_at > ?',
      ),
      // The leases of a scope whose time overlaps a window, by address: the slow path only.
      during: db.prepare<[string, number, number], Row>('SELECT * FROM mcast_leases WHERE scope = ? AND start_at < ? AND end_at > ? ORDER BY lo'),
      bestFit: db.prepare<[string, number], { lo: number; hi: number }>('SELECT lo, hi FROM mcast_free WHERE scope = ? AND hi - lo >= ? ORDER BY hi - lo, lo LIMIT 1'),
      largest: db.prepare<[string], { lo: number; hi: number }>('SELECT lo, hi FROM mcast_free WHERE scope = ? ORDER BY hi - lo DESC, lo LIMIT 1'),
      // Free runs are disjoint: those overlapping lo..hi end inside it, except at most one.
      freeOverlapping: db.prepare<[{ scope: string; lo: number; hi: number }], { lo: number; hi: number }>(
        `SELECT lo, hi FROM mcast_free WHERE scope = @scope AND hi BETWEEN @lo AND @hi
         UNION ALL
         SELECT lo, hi FROM (SELECT lo, hi FROM mcast_free WHERE scope = @scope AND hi > @hi ORDER BY hi LIMIT 1) WHERE lo <= @hi`,
      ),
      freeEndingAt: db.prepare<[string, number], { lo: number; hi: number }>('SELECT lo, hi FROM mcast_free WHERE scope = ? AND hi = ?'),
      freeStartingAt: db.prepare<[string, number], { lo: number; hi: number }>('SELECT lo, hi FROM mcast_free WHERE scope = ? AND lo = ?'),
      insertFree: db.prepare('INSERT INTO mcast_free (scope, lo, hi) VALUES (?, ?, ?)'),
      deleteFree: db.prepare('DELETE FROM mcast_free WHERE scope = ? AND lo = ?'),
      clearFree: db.prepare('DELETE FROM mcast_free WHERE scope = ?'),
      freeCount: db.prepare<[string], { n: number | null }>('SELECT sum(hi - lo + 1) AS n FROM mcast_free WHERE scope = ?'),
    };
  }

  /** Runs `fn` in one write transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return writeTransaction(this.#db, fn);
  }

  /** The pool size the free list of a scope was built for, if it was. */
  poolSize(scope: string): number | undefined {
    return this.#statements.poolSize.get(scope)?.pool_size;
  }

  /** Rebuilds a scope's free list from its leases (start-up, or a changed pool): one pass. */
  rebuildFree(scope: string, poolSize: number): void {
    const s = this.#statements;
    s.clearFree.run(scope);
    let next = 0;
    for (const lease of s.allOfScope.iterate(scope)) {
      if (lease.lo > next) s.insertFree.run(scope, next, Math.min(lease.lo, poolSize) - 1);
      next = Math.max(next, lease.hi + 1);
      if (next >= poolSize) break;
    }
    if (next < poolSize) s.insertFree.run(scope, next, poolSize - 1);
    s.setPoolSize.run(scope, poolSize);
  }

  /** The smallest free run of at least `size` offsets (lowest first among equals). */
  bestFit(scope: string, size: number): Run | undefined {
    return this.#statements.bestFit.get(scope, size - 1);
  }

  /** The largest free run. */
  largestFree(scope: string): Run | undefined {
    return this.#statements.largest.get(scope);
  }

  /** Addresses in the free list of a scope. */
  freeCount(scope: string): number {
    return this.#statements.freeCount.get(scope)?.n ?? 0;
  }

  /** Removes lo..hi from the free list (whatever part of it is there). */
  takeFree(scope: string, run: Run): void {
    const s = this.#statements;
    for (const f of s.freeOverlapping.all({ scope, lo: run.lo, hi: run.hi })) {
      s.deleteFree.run(scope, f.lo);
      if (f.lo < run.lo) s.insertFree.run(scope, f.lo, run.lo - 1);
      if (f.hi > run.hi) s.insertFree.run(scope, run.hi + 1, f.hi);
    }
  }

  /** Adds a run no lease holds to the free list, merged with its neighbours. */
  giveFree(scope: string, run: Run): void {
    const s = this.#statements;
    let { lo, hi } = run;
    const left = s.freeEndingAt.get(scope, lo - 1);
    if (left) {
      s.deleteFree.run(scope, left.lo);
      lo = left.lo;
    }
    const right = s.freeStartingAt.get(scope, hi + 1);
    if (right) {
      s.deleteFree.run(scope, right.lo);
      hi = right.hi;
    }
    s.insertFree.run(scope, lo, hi);
  }

  byLeaseId(leaseId: string): LeaseRow | undefined {
    const r = this.#statements.byLeaseId.get(leaseId);
    return r && fromRow(r);
  }

  insert(lease: Omit<LeaseRow, 'id'>): LeaseRow {
    const id = Number(this.#statements.insert.run(lease).lastInsertRowid);
    return { ...lease, id };
  }

  setWindow(id: number, start: number, end: number): void {
    this.#statements.setWindow.run(start, end, id);
  }

  delete(id: number): void {
    this.#statements.delete.run(id);
  }

  /** Leases that ended at or before `now`. */
  ended(now: number): LeaseRow[] {
    return this.#statements.ended.all(now).map(fromRow);
  }

  all(): LeaseRow[] {
    return this.#statements.all.all().map(fromRow);
  }

  /** Whether any lease is stored (ended ones not yet expired included). */
  any(): boolean {
    return this.#statements.any.get() !== undefined;
  }

  /** Leases of a scope holding any offset of `run`, at any time (`window` absent) or during `window`. */
  holding(scope: string, run: Run, window?: { start: number; end: number }): LeaseRow[] {
    const lowest = run.lo - this.#span + 1;
    const rows = window
      ? this.#statements.holdingDuring.all(scope, lowest, run.hi, run.lo, window.end, window.start)
      : this.#statements.holdingEver.all(scope, lowest, run.hi, run.lo);
    return rows.map(fromRow);
  }

  /** The leases of a scope overlapping a window, ordered by address (the slow path). */
  *during(scope: string, window: { start: number; end: number }): Generator<LeaseRow> {
    for (const r of this.#statements.during.iterate(scope, window.end, window.start)) yield fromRow(r);
  }

  /** SQLite's plans for the statements allocation runs on every request, for tests. */
  explainAllocation(): string[] {
    const plan = (sql: string, ...params: unknown[]): string[] =>
      (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
    return [
      ...plan('SELECT lo, hi FROM mcast_free WHERE scope = ? AND hi - lo >= ? ORDER BY hi - lo, lo LIMIT 1', 's', 0),
      ...plan('SELECT lo, hi FROM mcast_free WHERE scope = ? AND hi BETWEEN ? AND ?', 's', 0, 0),
      ...plan('SELECT lo, hi FROM mcast_free WHERE scope = ? AND hi > ? ORDER BY hi LIMIT 1', 's', 0),
      ...plan('SELECT * FROM mcast_leases WHERE end_at <= ? ORDER BY end_at', 0),
      ...plan('SELECT * FROM mcast_leases WHERE scope = ? AND lo BETWEEN ? AND ? AND hi >= ? AND start_at < ? AND end_at > ?', 's', 0, 0, 0, 0, 0),
    ];
  }
}
