/**
 * The SQL of scans (src/store/search-sql.ts): the text of a common shape is built once and
 * given again for every request of that shape, and for every shape, kept or not, the
 * parameters match the text's placeholders one for one and bind on a real database.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/index.js';
import type { IndexQuery, ScanRequest } from '../../src/store/query.js';
import { scanSql } from '../../src/store/search-sql.js';

const SCOPES: Array<Pick<ScanRequest, 'scope' | 'baseNdn' | 'basePath'>> = [
  { scope: 'base', baseNdn: 'cn=a,ou=dynamic,o=intranet', basePath: 'o=intranet/ou=dynamic/cn=a' },
  { scope: 'one', baseNdn: 'ou=dynamic,o=intranet', basePath: 'o=intranet/ou=dynamic' },
  { scope: 'sub', baseNdn: 'ou=dynamic,o=intranet', basePath: 'o=intranet/ou=dynamic' },
  { scope: 'sub', baseNdn: '', basePath: '' },
];

const INDEXES: Array<IndexQuery | undefined> = [
  undefined,
  { op: 'eq', attr: 'uid', value: 'conf-1' },
  { op: 'prefix', attr: 'uid', prefix: 'conf' },
  { op: 'and', parts: [{ op: 'eq', attr: 'uid', value: 'a' }, { op: 'eq', attr: 'cn', value: 'b' }] },
];

/** Every combination of scope, index query, paging, base check, column and limit. */
function* requests(value: string): Generator<[ScanRequest, number | undefined, 'rows' | 'ids']> {
  for (const scope of SCOPES) {
    for (const index of INDEXES) {
      for (const afterId of [undefined, 7]) {
        for (const liveBase of [undefined, 'ou=dynamic,o=intranet']) {
          for (const read of ['encoded', 'attributes'] as const) {
            for (const limit of [undefined, 2, 101]) {
              for (const what of ['rows', 'ids'] as const) {
                const indexed = index?.op === 'eq' ? { ...index, value } : index;
                yield [{ ...scope, index: indexed, afterId, liveBase, read, now: 1000 }, limit, what];
              }
            }
          }
        }
      }
    }
  }
}

describe('scanSql', () => {
  it('gives parameters that match its text, for every shape, and that bind', () => {
    const db = openDatabase(':memory:');
    try {
      for (const [request, limit, what] of requests('conf-1')) {
        const { sql, params } = scanSql(request, limit, what);
        expect(sql.split('?').length - 1, sql).toBe(params.length);
        expect(() => db.prepare(sql).all(...params), sql).not.toThrow();
      }
    } finally {
      db.close();
    }
  });

  it('gives the same text again for a request of the same shape with other values', () => {
    const first = [...requests('conf-1')].map(([r, l, w]) => scanSql(r, l, w));
    const second = [...requests('conf-2')].map(([r, l, w]) => scanSql({ ...r, now: 2000 }, l, w));
    first.forEach((f, i) => {
      expect(second[i]!.sql).toBe(f.sql);
      expect(second[i]!.params).not.toEqual(f.params);
    });
  });
});
