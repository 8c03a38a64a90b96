/**
 * Group commit: writes queued in one turn share a transaction, each in its own savepoint;
 * results and errors go to their own callers, and nothing is acknowledged before the
 * commit (a failing commit rejects every write of the batch and keeps none of them).
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeTransaction, type SqliteDatabase } from '../../src/store/database.js';
import { WriteBatch } from '../../src/store/write-batch.js';

let db: SqliteDatabase;
let commits: number;
let batch: WriteBatch;

beforeEach(() => {
  db = new Database(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  commits = 0;
  batch = new WriteBatch(
    (fn) => {
      const outer = !db.inTransaction;
      const result = writeTransaction(db, fn);
      if (outer) commits += 1;
      return result;
    },
    () => db.inTransaction,
  );
});
afterEach(() => db.close());

const insert = (k: string, v: number) => (): number => Number(db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v).lastInsertRowid);
const rows = (): Array<{ k: string; v: number }> => db.prepare('SELECT k, v FROM t ORDER BY k').all() as Array<{ k: string; v: number }>;

describe('WriteBatch', () => {
  it('commits the writes queued together in one transaction and resolves each with its result', async () => {
    const results = await Promise.all([batch.run(insert('a', 1)), batch.run(insert('b', 2)), batch.run(insert('c', 3))]);
    expect(results).toEqual([1, 2, 3]);
    expect(commits).toBe(1);
    expect(rows()).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'c', v: 3 }]);
  });

  it('a failing write is undone alone and rejected; the others commit', async () => {
    const twoSteps = (): void => {
      db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('half', 1);
      throw new Error('refused after one statement');
    };
    const outcomes = await Promise.allSettled([batch.run(insert('a', 1)), batch.run(twoSteps), batch.run(insert('a', 9)), batch.run(insert('b', 2))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(rows()).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    expect(commits).toBe(1);
  });

  it('nothing resolves before the commit, and a failing commit rejects the whole batch', async () => {
    const failing = new WriteBatch(
      (fn) => {
        if (db.inTransaction) return writeTransaction(db, fn);
        db.exec('BEGIN');
        try {
          fn();
        } finally {
          db.exec('ROLLBACK');
        }
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      },
      () => db.inTransaction,
    );
    const outcomes = await Promise.allSettled([failing.run(insert('a', 1)), failing.run(insert('b', 2))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(rows()).toEqual([]);
  });

  it('when SQLite ends the transaction itself (a full disk), every write of the batch fails with its error and none is kept', async () => {
    const file = new Database(':memory:');
    file.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)');
    const pageSize = file.pragma('page_size', { simple: true }) as number;
    const pages = file.pragma('page_count', { simple: true }) as number;
    file.pragma(`max_page_count = ${pages + 2}`);
    const full = new WriteBatch((fn) => writeTransaction(file, fn), () => file.inTransaction);
    const put = (k: string, bytes: number) => (): void => {
      file.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, Buffer.alloc(bytes));
    };
    const outcomes = await Promise.allSettled([full.run(put('small', 10)), full.run(put('huge', pageSize * 8)), full.run(put('after', 10))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason.code).toBe('SQLITE_FULL');
    expect(file.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    // The database is usable afterwards.
    await full.run(put('later', 10));
    expect(file.prepare('SELECT k FROM t').all()).toEqual([{ k: 'later' }]);
    file.close();
  });

  it('writes queued after a flush started go into the next transaction', async () => {
    await batch.run(insert('a', 1));
    await batch.run(insert('b', 2));
    expect(commits).toBe(2);
  });
});
