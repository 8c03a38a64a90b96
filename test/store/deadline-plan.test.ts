/**
 * Expiry asks for the earliest deadline after every sweep: it must come from the partial
 * indexes on expires_at and ends_at, not from a scan of every entry.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { NEXT_DEADLINE_SQL } from '../../src/store/deadlines.js';

describe('the next-deadline query', () => {
  it('reads both minima off the partial indexes', () => {
    const db = openDatabase(':memory:');
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${NEXT_DEADLINE_SQL}`).all() as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan.filter((d) => d.includes('FROM') || d.startsWith('SEARCH') || d.startsWith('SCAN')).filter((d) => /\bentries\b/.test(d))).toEqual([
        expect.stringContaining('USING COVERING INDEX entries_expires'),
        expect.stringContaining('USING COVERING INDEX entries_ends'),
      ]);
    } finally {
      db.close();
    }
  });
});
