/**
 * Accounts for simple binds, kept beside the entries. Only hashes are stored.
 */
import type { SqliteDatabase } from './database.js';

/** An account as stored. */
export interface AccountRecord {
  name: string;
  hash: string;
  admin: boolean;
  createdAt: number;
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
  readonly #get;
  readonly #list;
  readonly #insert;
  readonly #setHash;
  readonly #delete;

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare<[string], Row>('SELECT * FROM accounts WHERE name = ?');
    this.#list = db.prepare<[], Row>('SELECT * FROM accounts ORDER BY name');
    this.#insert = db.prepare('INSERT INTO accounts (name, hash, admin, created_at) VALUES (?, ?, ?, ?)');
    this.#setHash = db.prepare('UPDATE accounts SET hash = ? WHERE name = ?');
    this.#delete = db.prepare('DELETE FROM accounts WHERE name = ?');
  }

  get(name: string): AccountRecord | undefined {
    const row = this.#get.get(name);
    return row ? fromRow(row) : undefined;
  }

  list(): AccountRecord[] {
    return this.#list.all().map(fromRow);
  }

  /** Adds an account; false when the name is taken. */
  add(account: AccountRecord): boolean {
    try {
      this.#insert.run(account.name, account.hash, account.admin ? 1 : 0, account.createdAt);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw error;
    }
  }

  /** Replaces the hash; false when there is no such account. */
  setHash(name: string, hash: string): boolean {
    return this.#setHash.run(hash, name).changes === 1;
  }

  /** Deletes an account; false when there is none. */
  delete(name: string): boolean {
    return this.#delete.run(name).changes === 1;
  }
}
