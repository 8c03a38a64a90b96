/**
 * Account names that differ only in case or spaces are one account (issue 22, item 12): the
 * CLI refuses a second spelling, every spelling binds as the one account and owns its
 * entries, and a database from before this with such a pair will not serve until one of
 * them is deleted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { explain, ldapadd, ldapdelete, ldapmodify, ldapwhoami, ldifAdd, ldifModify } from '../helpers/ldap-tools.js';
import { accountCli, accountDn, startServer, stopAllServers } from '../helpers/server.js';
import { databaseAt } from '../store/database-at.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const alice = { name: 'alice', password: 'alice-pw' };

afterAll(() => stopAllServers());

// Each test runs the command line several times (a Node start each, and the real password
// cost): on a loaded machine that is well past the default 30 s.

describe('account names', () => {
  it('a second spelling of a name is refused with one line, and every spelling binds as the one account and owns its entries', async () => {
    const server = await startServer({ accounts: [alice, { name: 'Élise', password: 'elise-pw' }, { name: 'bob', password: 'bob-pw' }] });
    try {
      for (const [name, existing] of [[' alice', 'alice'], ['ALICE', 'alice'], ['alice  ', 'alice'], ['  Alice', 'alice'], ['élise', 'Élise'], ['ÉLISE ', 'Élise']] as const) {
        const r = await accountCli(['add', name, '--db', server.dbPath], { password: 'other-pw' });
        expect(r.code, `${name}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toBe(`rendezvous: account ${JSON.stringify(name)} already exists as ${JSON.stringify(existing)} (names that differ only in case or spaces are one account)\n`);
      }
      const list = await accountCli(['list', '--db', server.dbPath]);
      expect(list.stdout.split('\n').filter(Boolean).sort()).toEqual(['bob', 'alice', 'Élise'].sort());

      // Any spelling binds as alice, whose DN is the one she was added with.
      for (const dn of ['cn= ALICE ,ou=accounts,o=Intranet', '  Alice ', 'CN=alice, OU=Accounts, O=intranet']) {
        const who = await ldapwhoami(server.url, { auth: { dn, password: alice.password } });
        expect(who.code, explain(who)).toBe(0);
        expect(who.stdout.trim()).toBe(`dn:${accountDn('alice')}`);
      }
      // What alice adds, alice in another spelling may change and delete; bob may not.
      const dn = `cn=conf-a,${DYNAMIC}`;
      expect((await ldapadd(server.url, ldifAdd(dn, { objectClass: 'rtPerson', cn: 'conf-a' }), { auth: { dn: accountDn('alice'), password: alice.password } })).code).toBe(0);
      const asBob = await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'comment', values: ['bob'] }]), { auth: { dn: accountDn('bob'), password: 'bob-pw' } });
      expect(asBob.code, explain(asBob)).toBe(50);
      const spelled = { dn: 'cn=\\ ALICE\\ ,ou=accounts,o=Intranet', password: alice.password };
      const modify = await ldapmodify(server.url, ldifModify(dn, [{ op: 'replace', attr: 'comment', values: ['alice'] }]), { auth: spelled });
      expect(modify.code, explain(modify)).toBe(0);
      const remove = await ldapdelete(server.url, dn, { auth: spelled });
      expect(remove.code, explain(remove)).toBe(0);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('a database with accounts that clash, from before names were compared so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rendezvous-clash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('does not serve until one of each pair is deleted, and says which and how', async () => {
    // alice's hash, made by the CLI in a scratch database.
    const scratch = join(dir, 'scratch.db');
    expect((await accountCli(['add', 'alice', '--db', scratch], { password: alice.password })).code).toBe(0);
    const hash = new Database(scratch, { readonly: true }).prepare('SELECT hash FROM accounts').pluck().get() as string;
    // The schema as migrations 001 to 010 left it, with two accounts the old names told apart.
    const path = join(dir, 'old.db');
    databaseAt(path, 10);
    const old = new Database(path);
    const insert = old.prepare('INSERT INTO accounts (name, hash, admin, created_at) VALUES (?, ?, 0, ?)');
    insert.run('alice', hash, 1000);
    insert.run(' alice', hash, 2000);
    old.close();

    const serve = await runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--madcap-port', 'off', '--db', path]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toBe(
      `rendezvous: cannot start: accounts " alice" and "alice" differ only in case or spaces, so they would bind as one DN and own the same entries; ` +
        `delete one of each pair (rendezvous account delete --db ${path} " alice") and start again\n`,
    );
    const list = await accountCli(['list', '--db', path]);
    expect(list.stdout).toContain(' alice (clashes with "alice": cannot bind; delete one of them)');
    const remove = await accountCli(['delete', ' alice', '--db', path]);
    expect(remove.code, remove.stderr).toBe(0);
    expect((await accountCli(['list', '--db', path])).stdout).toBe('alice\n');

    // Now it serves, and alice binds.
    const child = spawn(BIN, ['serve', '--host', '127.0.0.1', '--port', '0', '--madcap-port', 'off', '--workers', '1', '--db', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          const m = /listening on ldap:\/\/127\.0\.0\.1:(\d+)/.exec(text);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', () => reject(new Error(`serve exited: ${text}`)));
      });
      const who = await ldapwhoami(`ldap://127.0.0.1:${port}`, { auth: { dn: accountDn('alice'), password: alice.password } });
      expect(who.code, explain(who)).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);
});
