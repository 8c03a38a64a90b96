/**
 * A backfill reads the conferences in batches by walking the object class index from the last
 * id read: each batch costs its own rows, not a pass over every conference.
 */
import { describe, expect, it } from 'vitest';
import { CONFERENCES_AFTER_SQL } from '../../src/store/backfill.js';
import { openDatabase } from '../../src/store/database.js';

describe('backfills', () => {
  it('read each batch of conferences by an index range from the last id, without a subquery over all of them', () => {
    const db = openDatabase(':memory:');
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${CONFERENCES_AFTER_SQL}`).all(0, 500) as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan[0]).toMatch(/^SEARCH i USING COVERING INDEX entry_index_lookup \(attr=\? AND value=\? AND entry_id>\?\)$/);
      expect(plan[1]).toMatch(/^SEARCH e USING INTEGER PRIMARY KEY \(rowid=\?\)$/);
      expect(plan.join('\n')).not.toMatch(/SUBQUERY|TEMP B-TREE|SCAN/);
    } finally {
      db.close();
    }
  });
});
