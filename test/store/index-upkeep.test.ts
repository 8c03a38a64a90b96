/**
 * An entry's index rows, time span and multicast groups kept in step with its writes
 * (src/store/entry-indexes.ts): an update deletes and inserts only the index rows that
 * differ from those stored, yet leaves exactly the new rows, whatever was stored before (a
 * row the current rules no longer write included); the span and groups are rewritten unless
 * the caller says they are the same.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { EntryStore, type IndexRow, type StoredEntry } from '../../src/store/index.js';
import { bytesOf, standInEncoding } from './stand-in-encoding.js';

const attributes = { objectclass: ['rtconference'], uid: ['c1'] };
const base: Omit<StoredEntry, 'id'> = { dn: 'uid=c1,o=x', ndn: 'uid=c1,o=x', parent: 'o=x', path: 'o=x\u0001uid=c1', attributes, creator: '', modifier: '', createdAt: 0, modifiedAt: 0, uuid: 'u1', csn: 'c1', expiresAt: null, endsAt: null, encoded: bytesOf(attributes) };
const rows = (...pairs: Array<[string, string]>): IndexRow[] => pairs.map(([attr, value]) => ({ attr, value }));

let db: SqliteDatabase;
let store: EntryStore;
beforeEach(() => {
  db = openDatabase(':memory:');
  store = new EntryStore(db, standInEncoding());
});
afterEach(() => db.close());

const indexOf = (id: number): Array<[string, string]> => (db.prepare('SELECT attr, value FROM entry_index WHERE entry_id = ? ORDER BY attr, value').raw(true).all(id) as Array<[string, string]>);
const spanOf = (id: number): unknown => db.prepare('SELECT lo, hi FROM conference_spans WHERE id = ?').get(id);
const changesOf = (run: () => void): number => {
  const before = (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  run();
  return (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n - before;
};

describe('index upkeep on update', () => {
  it('leaves exactly the new rows, writing only those that differ', () => {
    const id = store.insert(base, rows(['cn', 'a'], ['uid', 'c1'], ['mail', 'x@y'], ['objectclass', 'rtconference']));
    const next = rows(['uid', 'c1'], ['objectclass', 'rtconference'], ['mail', 'z@y'], ['description', 'new']);
    // The entries row, one row deleted (cn), one replaced (mail: a delete and an insert), one inserted (description).
    const written = changesOf(() => store.update({ ...base, id }, next, undefined, [], { span: true, groups: true }));
    expect(indexOf(id)).toEqual([['description', 'new'], ['mail', 'z@y'], ['objectclass', 'rtconference'], ['uid', 'c1']]);
    expect(written).toBe(1 + 4);
  });

  it('removes a stored row the new rows lack, even one no rule writes now', () => {
    const id = store.insert(base, rows(['uid', 'c1']));
    db.prepare('INSERT INTO entry_index (entry_id, attr, value) VALUES (?, ?, ?)').run(id, 'generaldescription', 'old rules');
    store.update({ ...base, id }, rows(['uid', 'c1']));
    expect(indexOf(id)).toEqual([['uid', 'c1']]);
  });

  it('rewrites the span unless told it is the same', () => {
    const id = store.insert(base, [], [100, 200]);
    store.update({ ...base, id }, [], [300, 400], [], { span: true, groups: true });
    expect(spanOf(id)).toEqual({ lo: 100, hi: 200 });
    store.update({ ...base, id }, [], [300, 400]);
    expect(spanOf(id)).toEqual({ lo: 300, hi: 400 });
    store.update({ ...base, id }, [], undefined);
    expect(spanOf(id)).toBeUndefined();
  });
});
