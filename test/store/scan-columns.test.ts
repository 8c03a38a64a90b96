/**
 * A scan reads one of the two large columns: the stored encoding (a lookup the index answers)
 * or the attributes. An entry read with its encoding fetches its attributes by id when they
 * are first read, and has none when it was deleted in between.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { EntryStore, type StoredEntry } from '../../src/store/index.js';

function entry(n: number, encoded: Buffer | null): Omit<StoredEntry, 'id'> {
  return { dn: `cn=e${n},o=x`, ndn: `cn=e${n},o=x`, parent: 'o=x', path: `o=x\u0001cn=e${n}`, attributes: { objectclass: ['person'], cn: [`e${n}`] }, creator: '', modifier: '', createdAt: 0, modifiedAt: 0, uuid: `u${n}`, expiresAt: null, endsAt: null, encoded };
}

describe('scan columns', () => {
  it('reads the encoding or the attributes, fetches the attributes by id, and finds none once deleted', () => {
    const db = openDatabase(':memory:');
    try {
      const store = new EntryStore(db);
      const bytes = Buffer.from([0x30, 0x00]);
      store.insert(entry(1, bytes), [{ attr: 'cn', value: 'e1' }]);
      const second = store.insert(entry(2, null), [{ attr: 'cn', value: 'e2' }]);
      const scan = (read: 'encoded' | 'attributes'): StoredEntry[] => [...store.scan({ scope: 'one', baseNdn: 'o=x', basePath: 'o=x', now: 0, read })];
      const [e1, e2] = scan('encoded');
      expect(e1!.encoded).toEqual(bytes);
      expect(e2!.encoded).toBeNull();
      expect(e1!.attributes).toEqual({ objectclass: ['person'], cn: ['e1'] });
      const [f1] = scan('attributes');
      expect(f1!.encoded).toBeNull();
      expect(f1!.attributes.cn).toEqual(['e1']);
      const [, g2] = scan('encoded');
      store.delete(second);
      expect(g2!.attributes).toEqual({});
    } finally {
      db.close();
    }
  });
});
