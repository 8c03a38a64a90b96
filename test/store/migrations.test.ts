/**
 * Migrations 006 and 007 on a database written before them: entry_index becomes a table keyed
 * by entry, keeping every row, and still follows its entries out (the trigger that replaces
 * the foreign key's cascade); entries gain the column of their stored encoding, empty for
 * what was there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { databaseAt } from './database-at.js';

const dir = mkdtempSync(join(tmpdir(), 'rendezvous-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations 006 and 007', () => {
  it('keep every index row, key them by entry, delete them with their entry, and add an empty encoding', () => {
    const path = join(dir, 'v5.db');
    databaseAt(path, 5);
    const old = new Database(path);
    const insert = old.prepare("INSERT INTO entries (dn, ndn, parent, path, attributes, creator, modifier, created_at, modified_at, uuid) VALUES (?, ?, 'o=x', ?, '{}', '', '', 0, 0, ?)");
    for (const n of [1, 2]) insert.run(`cn=e${n},o=x`, `cn=e${n},o=x`, `o=x\u0001cn=e${n}`, `uuid-${n}`);
    const row = old.prepare('INSERT INTO entry_index (entry_id, attr, value) VALUES (?, ?, ?)');
    for (const [id, attr, value] of [[1, 'cn', 'e1'], [1, 'objectclass', 'person'], [2, 'cn', 'e2'], [2, 'objectclass', 'person']] as const) row.run(id, attr, value);
    old.close();

    const db = openDatabase(path);
    try {
      expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(7);
      const table = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'entry_index'").pluck().get() as string;
      expect(table).toMatch(/WITHOUT ROWID/);
      expect(db.prepare('SELECT entry_id, attr, value FROM entry_index ORDER BY entry_id, attr').raw().all()).toEqual([
        [1, 'cn', 'e1'],
        [1, 'objectclass', 'person'],
        [2, 'cn', 'e2'],
        [2, 'objectclass', 'person'],
      ]);
      const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT entry_id FROM entry_index WHERE attr = 'cn' AND value = 'e2'").all() as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      expect(plan).toContain('entry_index_lookup');
      expect(db.prepare('SELECT encoded FROM entries ORDER BY id').pluck().all()).toEqual([null, null]);
      db.prepare('DELETE FROM entries WHERE id = 1').run();
      expect(db.prepare('SELECT DISTINCT entry_id FROM entry_index').pluck().all()).toEqual([2]);
    } finally {
      db.close();
    }
  });
});

describe('migration 008', () => {
  it("removes entry_index rows of conferences' start and stop times, which the span table answers, and of their descriptions; keeps the rest", () => {
    const path = join(dir, 'v7.db');
    databaseAt(path, 7);
    const old = new Database(path);
    old.prepare("INSERT INTO entries (dn, ndn, parent, path, attributes, creator, modifier, created_at, modified_at, uuid) VALUES ('uid=c,o=x', 'uid=c,o=x', 'o=x', 'o=x\u0001uid=c', '{}', '', '', 0, 0, 'u')").run();
    const row = old.prepare('INSERT INTO entry_index (entry_id, attr, value) VALUES (1, ?, ?)');
    for (const [attr, value] of [['uid', 'c'], ['starttime', '20261201000000Z'], ['stoptime', '20261201010000Z'], ['generaldescription', 'weekly sync']]) row.run(attr, value);
    old.close();
    const db = openDatabase(path);
    try {
      expect(db.prepare('SELECT attr, value FROM entry_index').raw().all()).toEqual([['uid', 'c']]);
    } finally {
      db.close();
    }
  });
});
