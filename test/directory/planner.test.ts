import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilter, type DirectoryTree } from '../../src/directory/index.js';
import { openDirectory } from '../../src/server/index.js';
import type { SqliteDatabase } from '../../src/store/database.js';
import { admin, attributes, DYNAMIC, openTestDirectory } from './helpers.js';

// The indexable part of a filter must run as SQL on entry_index, never as a scan of entries.
let db: SqliteDatabase;
let directory: DirectoryTree;

beforeAll(() => {
  ({ db, directory } = openDirectory({ db: ':memory:', suffix: 'o=Intranet', ilsOpen: false, version: 'test' }));
});
afterAll(() => db.close());

const plan = (filter: string, scope: 'base' | 'one' | 'sub' = 'sub', base = 'ou=dynamic,o=Intranet'): string =>
  directory.explain({ base, scope, filter: parseFilter(filter) }).join('\n');

describe('search planning', () => {
  it('runs a start- or stop-time term on the span R*Tree, without intersecting every conference', () => {
    for (const term of ['(stopTime>=20261201000000Z)', '(startTime<=20261201000000Z)', '(startTime=20261201000000Z)', '(stopTime=*)']) {
      const p = plan(`(&(objectClass=rtConference)${term})`);
      expect(p, term).toMatch(/conference_spans VIRTUAL TABLE/);
      expect(p, term).not.toContain('entry_index');
      expect(p, term).not.toContain('INTERSECT');
      expect(p, term).not.toMatch(/SCAN entries\b/);
    }
  });

  it('runs the time-window search on the conferences clustered by time (more in windows.test.ts)', () => {
    for (const scope of ['one', 'sub'] as const) {
      const p = plan('(&(objectClass=rtConference)(startTime<=20261202000000Z)(stopTime>=20261201000000Z))', scope);
      expect(p).toMatch(/SEARCH w USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
      expect(p).not.toContain('entry_index_lookup');
      expect(p).not.toMatch(/SCAN entries\b/);
    }
  });

  it('reads the rows an index query names by id, without probing the scope index for each', () => {
    // A second random B-tree lookup per candidate (parent = ? AND rowid = ?) was a third of a
    // time-window search at 1,000,000 entries; the row itself tells its scope.
    for (const filter of ['(uid=Weekly*)', '(stopTime>=20261201000000Z)', '(&(startTime<=20261202000000Z)(stopTime>=20261201000000Z)(cn=Weekly*))']) {
      for (const scope of ['one', 'sub'] as const) {
        for (const base of ['ou=dynamic,o=Intranet', 'o=Intranet']) {
          const p = plan(filter, scope, base);
          expect(p, `${filter} ${scope} ${base}`).toMatch(/SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)/);
          expect(p, `${filter} ${scope} ${base}`).not.toMatch(/entries_parent|entries_path/);
        }
      }
    }
  });

  it('runs a prefix search on uid on the index, in one-level scope too', () => {
    for (const scope of ['one', 'sub'] as const) {
      const p = plan('(uid=Weekly*)', scope);
      expect(p).toContain('entry_index_lookup');
      expect(p).not.toMatch(/SCAN entries\b/);
    }
  });

  it('uses the index for an or of indexable terms and ignores unindexable ones inside an and', () => {
    expect(plan('(|(uid=a)(cn=b))')).toContain('entry_index_lookup');
    const p = plan('(&(uid=a)(!(cn=b))(description=*x*))');
    expect(p).toContain('entry_index_lookup');
    expect(p).not.toMatch(/SCAN entries\b/);
  });

  it('never looks up operational attributes in the index, which holds none of their values', () => {
    for (const filter of ['(createTimestamp>=20000101000000Z)', '(structuralObjectClass=rtConference)', '(entryUUID=*)']) {
      const p = plan(filter, 'one');
      expect(p, filter).toContain('entries_parent');
      expect(p, filter).not.toContain('entry_index');
    }
    // Beside an indexable term, only that term uses the index.
    expect(plan('(&(uid=a)(modifyTimestamp>=20000101000000Z))')).toContain('entry_index');
  });

  it("walks one equality term's index for an and of equality terms and checks the others by key (NetMeeting's listing)", () => {
    // As an INTERSECT, SQLite built both sets whole before the first row: 370 ms a listing at
    // 100,000 people, where a size-limited walk stops after its first matches.
    for (const scope of ['one', 'sub'] as const) {
      const p = plan('(&(objectClass=rtPerson)(sappid=ms-netmeeting)(sprotid=h323))', scope);
      expect(p).toMatch(/SEARCH i USING COVERING INDEX entry_index_lookup \(attr=\? AND value=\?\)/);
      expect(p).toMatch(/SEARCH c (EXISTS )?USING PRIMARY KEY \(entry_id=\? AND attr=\? AND value=\?\)/);
      expect(p).not.toMatch(/INTERSECT|COMPOUND|TEMP B-TREE/);
    }
  });

  it('falls back to the scope (parent index) when nothing is indexable', () => {
    const p = plan('(!(uid=a))', 'one');
    expect(p).toContain('entries_parent');
    expect(p).not.toContain('entry_index_lookup');
  });
});

describe('exact index answers', () => {
  // A search whose filter the index answers exactly skips evaluating it on each entry.
  const exact = (filter: string): boolean => directory.isExact(parseFilter(filter));

  it('holds for one equality term on an indexed attribute', () => {
    for (const f of ['(uid=Weekly Sync)', '(cn=alice@example.net)', '(objectClass=rtConference)']) expect(exact(f), f).toBe(true);
  });

  it('does not hold for anything the index only narrows', () => {
    for (const f of ['(uid=Weekly*)', '(uid~=Weekly)', '(&(uid=a))', '(|(uid=a)(uid=b))', '(!(uid=a))', '(startTime<=20261201000000Z)', '(startTime=20261201000000Z)', '(conferenceBlob=v=0)', '(noSuchAttribute=x)', '(sttl=10)', '(startTime=not a time)']) {
      expect(exact(f), f).toBe(false);
    }
  });
});

describe('an and of equality terms', () => {
  it('finds exactly the entries that have every term, the first walked and the others looked up', () => {
    const t = openTestDirectory();
    try {
      const people: Array<[string, Record<string, string>]> = [
        ['both1', { sappid: 'ms-netmeeting', sprotid: 'h323' }],
        ['app', { sappid: 'ms-netmeeting', sprotid: 'sip' }],
        ['proto', { sappid: 'other', sprotid: 'h323' }],
        ['both2', { sappid: 'ms-netmeeting', sprotid: 'h323' }],
        ['neither', {}],
      ];
      for (const [cn, extra] of people) t.directory.add(admin, `cn=${cn},${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn, ...extra }));
      const found = (filter: string): string[] =>
        [...t.directory.search(admin, { base: DYNAMIC, scope: 'one', filter: parseFilter(filter), attributes: ['1.1'], typesOnly: false })].map((r) => r.view.dn).sort();
      expect(found('(&(objectClass=rtPerson)(sappid=ms-netmeeting)(sprotid=h323))')).toEqual([`cn=both1,${DYNAMIC}`, `cn=both2,${DYNAMIC}`]);
      expect(found('(&(sprotid=h323)(sappid=ms-netmeeting)(cn=both2))')).toEqual([`cn=both2,${DYNAMIC}`]);
      expect(found('(&(sappid=ms-netmeeting)(sprotid=nothing))')).toEqual([]);
    } finally {
      t.close();
    }
  });

  it('reads a walk past its first batch batch by batch along the index, not every remaining id first', () => {
    // NetMeeting's listing stops at 1,001 of 100,000 people: reading the ids of all the rest
    // after the first batch of 256 cost 300 ms a search at 1,000,000 entries.
    const t = openTestDirectory();
    try {
      const people = 700;
      for (let i = 0; i < people; i += 1) {
        const cn = `p${String(i).padStart(4, '0')}`;
        const app = i % 7 === 3 ? { sappid: 'other', sprotid: 'h323' } : { sappid: 'ms-netmeeting', sprotid: 'h323' };
        t.directory.add(admin, `cn=${cn},${DYNAMIC}`, attributes({ objectClass: ['rtPerson', 'dynamicObject'], cn, ...app }));
      }
      // The statements the scans prepare from here on (each shape once, then kept).
      const prepared: string[] = [];
      const prepare = t.db.prepare.bind(t.db);
      t.db.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof t.db.prepare;
      const search = (): Iterator<{ view: { dn: string } }> =>
        t.directory.search(admin, { base: DYNAMIC, scope: 'one', filter: parseFilter('(&(objectClass=rtPerson)(sappid=ms-netmeeting)(sprotid=h323))'), attributes: ['1.1'], typesOnly: false })[Symbol.iterator]();
      const first = search();
      for (let i = 0; i < 300; i += 1) expect(first.next().done).toBe(false);
      first.return?.();
      expect(prepared.filter((sql) => /^SELECT e\.id FROM/.test(sql))).toEqual([]);
      expect(prepared.some((sql) => /id > \?.*ORDER BY i\.entry_id LIMIT 256$/.test(sql))).toBe(true);
      // Read to the end, it finds every match once, in entry order.
      const all: string[] = [];
      for (let it = search(), r = it.next(); !r.done; r = it.next()) all.push(r.value.view.dn);
      const expected = Array.from({ length: people }, (_, i) => i).filter((i) => i % 7 !== 3).map((i) => `cn=p${String(i).padStart(4, '0')},${DYNAMIC}`);
      expect(all).toEqual(expected);
    } finally {
      t.close();
    }
  });
});
