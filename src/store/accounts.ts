/**
 * Accounts for simple binds, kept beside the entries. Only hashes are stored. Names are
 * unique by their normal form (`key`), which the caller's `keyOf` computes: the store
 * compares, it does not know the matching rules.
 */
import { writeTransaction, type SqliteDatabase } from './database.js';

/** An account as stored. */
export interface AccountRecord {
  name: string;
  hash: string;
  admin: boolean;
  createdAt: number;
}

/** An account whose normal form an older account has: both would bind with one DN. */
export interface AccountClash {
  name: string;
  /** The older account. */
  clashesWith: string;
}

interface Row {
  name: string;
  hash: string;
  admin: number;
  created_at: number;
}

const fromRow = (r: Row): AccountRecord => ({ name: r.name, hash: r.hash, admin: r.admin === 1, createdAt: r.created_at });

/** The accounts table. */
export class AccountStore {
  readonly #db: SqliteDatabase;
  readonly #keyOf: (name: string) => string;
  readonly #get;
  readonly #list;
  readonly #insert;
  readonly #setHash;
  readonly #delete;

  /** `keyOf` gives a name's normal form: names with one normal form are one account. */
  constructor(db: SqliteDatabase, keyOf: (name: string) => string) {
    this.#db = db;
    this.#keyOf = keyOf;
    this.#get = db.prepare<[string], Row>('SELECT * FROM accounts WHERE key = ?');
    this.#list = db.prepare<[], Row>('SELECT * FROM accounts ORDER BY name');
    this.#insert = db.prepare('INSERT INTO accounts (name, key, hash, admin, created_at) VALUES (?, ?, ?, ?, ?)');
    // The name as written first: an account left without a key by a clash is reached so.
    this.#setHash = db.prepare('UPDATE accounts SET hash = ? WHERE name = ? OR (key = ? AND NOT EXISTS (SELECT 1 FROM accounts WHERE name = ?))');
    this.#delete = db.prepare('DELETE FROM accounts WHERE name = ? OR (key = ? AND NOT EXISTS (SELECT 1 FROM accounts WHERE name = ?))');
  }

  /** The account a name designates, in any spelling of it. */
  get(name: string): AccountRecord | undefined {
    const row = this.#get.get(this.#keyOf(name));
    return row ? fromRow(row) : undefined;
  }

  list(): AccountRecord[] {
    return this.#list.all().map(fromRow);
  }

  /** Adds an account; false when the name, in any spelling of it, is taken. */
  add(account: AccountRecord): boolean {
    try {
      this.#insert.run(account.name, this.#keyOf(account.name), account.hash, account.admin ? 1 : 0, account.createdAt);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw error;
    }
  }

  /** Replaces the hash of the account named so exactly, or else in another spelling; false when there is none. */
  setHash(name: string, hash: string): boolean {
    return this.#setHash.run(hash, name, this.#keyOf(name), name).changes === 1;
  }

  /** Deletes the account named so exactly, or else in another spelling; false when there is none. */
  delete(name: string): boolean {
    return this.#delete.run(name, this.#keyOf(name), name).changes === 1;
  }

  /**
   * Gives the accounts written before names had a normal form theirs, oldest first; returns
   * those whose normal form an older account already has (they keep none, and cannot bind).
   */
  assignKeys(): AccountClash[] {
    const unkeyed = this.#db.prepare<[], Row>('SELECT * FROM accounts WHERE key IS NULL ORDER BY created_at, name').all();
    if (unkeyed.length === 0) return [];
    const holder = this.#db.prepare<[string], string>('SELECT name FROM accounts WHERE key = ?').pluck();
    const setKey = this.#db.prepare('UPDATE accounts SET key = ? WHERE name = ?');
    const clashes: AccountClash[] = [];
    writeTransaction(this.#db, () => {
      for (const { name } of unkeyed) {
        const key = this.#keyOf(name);
        const older = holder.get(key);
        if (older === undefined) setKey.run(key, name);
        else clashes.push({ name, clashesWith: older });
      }
    });
    return clashes;
  }
}
