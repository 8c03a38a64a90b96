/**
 * Every row keeps its entry's attributes once, as an encoding (schema/010): the search
 * result's encoding the writer gives, kept as it is and marked sendable, or, for an entry
 * whose result leaves values out (given no encoding), the store's own encoding of every
 * value, which no scan hands out as sendable. Every read (by name, by scan of either column,
 * by id after an encoding scan, after an update) decodes the row, once while it is unchanged.
 * The encoding here is a stand-in for the protocol's (the store treats the bytes as opaque);
 * the LDAP tests cover the real one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { EntryStore, type StoredEntry } from '../../src/store/index.js';
import { bytesOf, standInEncoding } from './stand-in-encoding.js';

/** An entry under o=x; `sendable`: written with its result's encoding (else with none). */
function entry(n: number, cn: string, sendable: boolean): Omit<StoredEntry, 'id'> {
  const attributes = { objectclass: ['person'], cn: [cn] };
  return { dn: `cn=e${n},o=x`, ndn: `cn=e${n},o=x`, parent: 'o=x', path: `o=x\u0001cn=e${n}`, attributes, creator: '', modifier: '', createdAt: 0, modifiedAt: 0, uuid: `u${n}`, csn: '', expiresAt: null, endsAt: null, encoded: sendable ? bytesOf(attributes) : null };
}

let db: SqliteDatabase;
let store: EntryStore;
let encoding: ReturnType<typeof standInEncoding>;
beforeEach(() => {
  db = openDatabase(':memory:');
  encoding = standInEncoding();
  store = new EntryStore(db, encoding);
});
afterEach(() => db.close());

const row = (ndn: string): { encoded: Buffer; sendable: number } => db.prepare('SELECT encoded, sendable FROM entries WHERE ndn = ?').get(ndn) as { encoded: Buffer; sendable: number };
const scan = (read: 'encoded' | 'attributes'): StoredEntry[] => [...store.scan({ scope: 'one', baseNdn: 'o=x', basePath: 'o=x', now: 0, read })];

describe('the one row shape', () => {
  it('has no JSON column: the encoding holds the attributes', () => {
    const names = (db.prepare("SELECT name FROM pragma_table_info('entries')").pluck().all() as string[]).sort();
    expect(names).toEqual(['created_at', 'creator', 'dn', 'encoded', 'ends_at', 'expires_at', 'id', 'modified_at', 'modifier', 'ndn', 'parent', 'path', 'sendable', 'uuid', 'csn'].sort());
  });

  it("keeps a result's encoding as it is, and encodes an entry given none itself, not sendable", () => {
    store.insert(entry(1, 'one', true), []);
    store.insert(entry(2, 'two', false), []);
    expect(row('cn=e1,o=x')).toEqual({ encoded: bytesOf({ objectclass: ['person'], cn: ['one'] }), sendable: 1 });
    expect(row('cn=e2,o=x')).toEqual({ encoded: bytesOf({ objectclass: ['person'], cn: ['two'] }), sendable: 0 });
  });

  it('reads the attributes from the encoding everywhere, and hands out only a sendable one', () => {
    store.insert(entry(1, 'one', true), []);
    store.insert(entry(2, 'two', false), []);
    expect(store.get('cn=e1,o=x')!.attributes).toEqual({ objectclass: ['person'], cn: ['one'] });
    expect(store.get('cn=e2,o=x')!.attributes.cn).toEqual(['two']);
    expect(store.get('cn=e1,o=x')!.encoded).toEqual(bytesOf({ objectclass: ['person'], cn: ['one'] }));
    expect(store.get('cn=e2,o=x')!.encoded).toBeNull();
    const [a1, a2] = scan('attributes');
    expect(a1!.attributes.cn).toEqual(['one']);
    expect(a1!.encoded).toEqual(bytesOf({ objectclass: ['person'], cn: ['one'] }));
    expect(a2!.attributes.cn).toEqual(['two']);
    expect(a2!.encoded).toBeNull();
    const [e1, e2] = scan('encoded');
    expect(e1!.encoded).toEqual(bytesOf({ objectclass: ['person'], cn: ['one'] }));
    expect(e2!.encoded).toBeNull();
    expect(e1!.attributes.cn).toEqual(['one']); // fetched by id
    expect(e2!.attributes.cn).toEqual(['two']);
  });

  it('decodes an unchanged entry once, and again after an update, even one within the same millisecond', () => {
    const id = store.insert(entry(1, 'one', true), []);
    const first = store.get('cn=e1,o=x')!;
    expect(store.get('cn=e1,o=x')!.attributes).toBe(first.attributes);
    expect(encoding.decodes).toBe(1);
    const attributes = { objectclass: ['person'], cn: ['changed'] };
    store.update({ ...first, id, attributes, encoded: bytesOf(attributes) }, []);
    expect(store.get('cn=e1,o=x')!.attributes.cn).toEqual(['changed']);
    expect(encoding.decodes).toBe(2);
    // Updated without a result's encoding (an empty value, say): the store's, not sendable.
    store.update({ ...first, id, attributes: { objectclass: ['person'], cn: ['own'] }, encoded: null }, []);
    expect(row('cn=e1,o=x').sendable).toBe(0);
    expect(store.get('cn=e1,o=x')!.attributes.cn).toEqual(['own']);
    expect(store.get('cn=e1,o=x')!.encoded).toBeNull();
    // And back.
    store.update({ ...first, id, attributes, encoded: bytesOf(attributes) }, []);
    expect(row('cn=e1,o=x')).toEqual({ encoded: bytesOf(attributes), sendable: 1 });
  });

  it('gives an entry scanned for its encoding the rest of its row when asked, and nothing once it is gone', () => {
    store.insert({ ...entry(1, 'one', true), creator: 'cn=admin', modifier: 'cn=other', createdAt: 5, modifiedAt: 6, expiresAt: 1000, endsAt: 2000 }, []);
    store.insert(entry(2, 'two', true), []);
    const [e1, e2] = scan('encoded');
    expect(e1!.encoded).toEqual(bytesOf({ objectclass: ['person'], cn: ['one'] }));
    expect([e1!.id, e1!.dn, e1!.expiresAt, e1!.endsAt]).toEqual([1, 'cn=e1,o=x', 1000, 2000]);
    expect(encoding.decodes).toBe(0);
    // Read by id on first use: the operational columns and the attributes.
    expect([e1!.ndn, e1!.parent, e1!.path, e1!.creator, e1!.modifier, e1!.createdAt, e1!.modifiedAt, e1!.uuid]).toEqual(['cn=e1,o=x', 'o=x', 'o=x\u0001cn=e1', 'cn=admin', 'cn=other', 5, 6, 'u1']);
    expect(e1!.attributes.cn).toEqual(['one']);
    // Deleted after the scan read it, before the rest was asked for.
    store.delete(e2!.id);
    expect(e2!.dn).toBe('cn=e2,o=x');
    expect(e2!.attributes).toEqual({});
    expect([e2!.creator, e2!.uuid]).toEqual(['', '']);
  });
});
