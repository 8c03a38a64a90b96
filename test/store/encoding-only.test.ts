/**
 * A store given a decoder keeps each entry's attributes once: an entry written with an
 * encoding is stored without its JSON (the column holds ''), and every read (by name, by
 * scan of either column, by id after an encoding scan, after an update) gets its attributes
 * from the encoding. Entries without an encoding, and rows written with both, still read
 * their JSON. The decoder here is a stand-in for the protocol's (the store treats the bytes
 * as opaque); the LDAP tests cover the real one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { EntryStore, type StoredEntry } from '../../src/store/index.js';

const encode = (attributes: Record<string, string[]>): Buffer => Buffer.from(JSON.stringify(attributes), 'utf8');
let decoded = 0;
const decode = (encoded: Buffer): Record<string, string[]> => {
  decoded += 1;
  return JSON.parse(encoded.toString('utf8')) as Record<string, string[]>;
};

function entry(n: number, cn: string, encoded: boolean): Omit<StoredEntry, 'id'> {
  const attributes = { objectclass: ['person'], cn: [cn] };
  return { dn: `cn=e${n},o=x`, ndn: `cn=e${n},o=x`, parent: 'o=x', path: `o=x\u0001cn=e${n}`, attributes, creator: '', modifier: '', createdAt: 0, modifiedAt: 0, uuid: `u${n}`, expiresAt: null, endsAt: null, encoded: encoded ? encode(attributes) : null };
}

let db: SqliteDatabase;
let store: EntryStore;
beforeEach(() => {
  db = openDatabase(':memory:');
  store = new EntryStore(db, decode);
  decoded = 0;
});
afterEach(() => db.close());

const row = (ndn: string): { attributes: string; encoded: Buffer | null } => db.prepare('SELECT attributes, encoded FROM entries WHERE ndn = ?').get(ndn) as { attributes: string; encoded: Buffer | null };
const scan = (read: 'encoded' | 'attributes'): StoredEntry[] => [...store.scan({ scope: 'one', baseNdn: 'o=x', basePath: 'o=x', now: 0, read })];

describe('a store with a decoder', () => {
  it('stores the attributes once: the encoding alone, or the JSON where there is no encoding', () => {
    store.insert(entry(1, 'one', true), []);
    store.insert(entry(2, 'two', false), []);
    expect(row('cn=e1,o=x')).toEqual({ attributes: '', encoded: encode({ objectclass: ['person'], cn: ['one'] }) });
    expect(row('cn=e2,o=x')).toEqual({ attributes: JSON.stringify({ objectclass: ['person'], cn: ['two'] }), encoded: null });
    // A store without a decoder keeps writing both.
    new EntryStore(db).insert(entry(3, 'three', true), []);
    expect(row('cn=e3,o=x').attributes).toBe(JSON.stringify({ objectclass: ['person'], cn: ['three'] }));
  });

  it('reads the attributes from the encoding everywhere', () => {
    store.insert(entry(1, 'one', true), []);
    store.insert(entry(2, 'two', false), []);
    expect(store.get('cn=e1,o=x')!.attributes).toEqual({ objectclass: ['person'], cn: ['one'] });
    expect(store.get('cn=e2,o=x')!.attributes.cn).toEqual(['two']);
    const [a1, a2] = scan('attributes');
    expect(a1!.attributes.cn).toEqual(['one']);
    // Read for its attributes, an entry stored encoded comes with its encoding (which is them).
    expect(a1!.encoded).toEqual(encode({ objectclass: ['person'], cn: ['one'] }));
    expect(a2!.encoded).toBeNull();
    const [e1] = scan('encoded');
    expect(e1!.attributes.cn).toEqual(['one']); // fetched by id
  });

  it('decodes an unchanged entry once, and again after an update, even one within the same millisecond', () => {
    const id = store.insert(entry(1, 'one', true), []);
    const first = store.get('cn=e1,o=x')!;
    expect(store.get('cn=e1,o=x')!.attributes).toBe(first.attributes);
    expect(decoded).toBe(1);
    const attributes = { objectclass: ['person'], cn: ['changed'] };
    store.update({ ...first, id, attributes, encoded: encode(attributes) }, []);
    expect(store.get('cn=e1,o=x')!.attributes.cn).toEqual(['changed']);
    expect(decoded).toBe(2);
    // Updated without an encoding (an empty value, say): the JSON again.
    store.update({ ...first, id, attributes: { objectclass: ['person'], cn: ['json'] }, encoded: null }, []);
    expect(row('cn=e1,o=x').attributes).toContain('json');
    expect(store.get('cn=e1,o=x')!.attributes.cn).toEqual(['json']);
  });

  it('gives an entry scanned for its encoding the rest of its row when asked, and nothing once it is gone', () => {
    store.insert({ ...entry(1, 'one', true), creator: 'cn=admin', modifier: 'cn=other', createdAt: 5, modifiedAt: 6, expiresAt: 1000, endsAt: 2000 }, []);
    store.insert(entry(2, 'two', true), []);
    const [e1, e2] = scan('encoded');
    expect(e1!.encoded).toEqual(encode({ objectclass: ['person'], cn: ['one'] }));
    expect([e1!.id, e1!.dn, e1!.expiresAt, e1!.endsAt]).toEqual([1, 'cn=e1,o=x', 1000, 2000]);
    expect(decoded).toBe(0);
    // Read by id on first use: the operational columns and the attributes.
    expect([e1!.ndn, e1!.parent, e1!.path, e1!.creator, e1!.modifier, e1!.createdAt, e1!.modifiedAt, e1!.uuid]).toEqual(['cn=e1,o=x', 'o=x', 'o=x\u0001cn=e1', 'cn=admin', 'cn=other', 5, 6, 'u1']);
    expect(e1!.attributes.cn).toEqual(['one']);
    // Deleted after the scan read it, before the rest was asked for.
    store.delete(e2!.id);
    expect(e2!.dn).toBe('cn=e2,o=x');
    expect(e2!.attributes).toEqual({});
    expect([e2!.creator, e2!.uuid]).toEqual(['', '']);
  });

  it('reads rows written with both copies (before this layout) from their JSON', () => {
    new EntryStore(db).insert(entry(1, 'both', true), []);
    expect(store.get('cn=e1,o=x')!.attributes.cn).toEqual(['both']);
    expect(decoded).toBe(0);
  });
});
