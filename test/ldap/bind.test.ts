/**
 * Binds and accounts: anonymous, simple binds to accounts made with `rendezvous account`,
 * refused SASL binds (authMethodNotSupported, never a dropped connection), LDAPv2 as
 * NetMeeting binds, whoami (RFC 4532), and the account commands themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapexop, ldapsearch, ldapwhoami, LDAP } from '../helpers/ldap-tools.js';
import { accountCli, startServer, writeTempFile, type AccountSpec, type TestServer } from '../helpers/server.js';
import { ADMIN, ALICE, BOB, DYNAMIC, SUFFIX, bindAs } from './fixtures/directory.js';

let server: TestServer;
beforeAll(async () => {
  // Failed binds here add up (from one address); at the default 250 ms, doubling, the tests
  // after them would wait seconds each. The delays themselves: hardening.test.ts.
  server = await startServer({ args: ['--bind-delay-base', '1'] });
  // Through the command, as a person would (other tests' servers get theirs in-process).
  const added = await Promise.all(
    ([ALICE, BOB, ADMIN] as AccountSpec[]).map((a) => accountCli(['add', a.name, ...(a.admin ? ['--admin'] : []), '--db', server.dbPath], { password: a.password })),
  );
  for (const r of added) expect(r.code, r.stderr).toBe(0);
});
afterAll(() => server.stop());

describe('bind', () => {
  it('anonymous: whoami says "anonymous"', async () => {
    const r = await ldapwhoami(server.url);
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.stdout.trim()).toBe('anonymous');
  });

  it('simple bind to an account: whoami names cn=alice,ou=accounts,o=Intranet', async () => {
    const r = await ldapwhoami(server.url, { auth: bindAs(ALICE) });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.stdout.trim()).toMatch(/^dn:/);
    expect(r.stdout.toLowerCase()).toContain('cn=alice');
    expect(r.stdout.toLowerCase()).toContain('ou=accounts');
  });

  it('whoami as the extended operation (ldapexop whoami)', async () => {
    const r = await ldapexop(server.url, ['whoami'], { auth: bindAs(BOB) });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.stdout.toLowerCase()).toContain('cn=bob');
  });

  it('the bind DN is case-insensitive (CN=Alice,OU=Accounts,O=INTRANET)', async () => {
    const r = await ldapwhoami(server.url, { auth: { dn: 'CN=Alice,OU=Accounts,O=INTRANET', password: ALICE.password } });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.stdout.toLowerCase()).toContain('cn=alice');
  });

  it('a wrong password is invalidCredentials (49)', async () => {
    const r = await ldapwhoami(server.url, { auth: { dn: bindAs(ALICE).dn, password: 'wrong' } });
    expect(r.code, explain(r)).toBe(LDAP.invalidCredentials);
  });

  it("another account's password is invalidCredentials (49)", async () => {
    const r = await ldapwhoami(server.url, { auth: { dn: bindAs(ALICE).dn, password: BOB.password } });
    expect(r.code, explain(r)).toBe(LDAP.invalidCredentials);
  });

  it('an unknown account is invalidCredentials (49) too, with the same message as a wrong password', async () => {
    const unknown = await ldapwhoami(server.url, { auth: { dn: 'cn=mallory,ou=accounts,o=Intranet', password: 'x' } });
    expect(unknown.code, explain(unknown)).toBe(LDAP.invalidCredentials);
    const wrong = await ldapwhoami(server.url, { auth: { dn: bindAs(ALICE).dn, password: 'x' } });
    expect(unknown.info, 'the diagnostic must not reveal which accounts exist').toBe(wrong.info);
  });

  it('a DN outside ou=accounts (an entry, another suffix) is invalidCredentials (49)', async () => {
    for (const dn of [`cn=alice,${DYNAMIC}`, 'cn=alice,ou=accounts,o=Elsewhere', DYNAMIC]) {
      const r = await ldapwhoami(server.url, { auth: { dn, password: ALICE.password } });
      expect(r.code, `${dn}\n${explain(r)}`).toBe(LDAP.invalidCredentials);
    }
  });

  it('SASL DIGEST-MD5 is authMethodNotSupported (7), not a dropped connection', async () => {
    const r = await ldapwhoami(server.url, { sasl: ['-Y', 'DIGEST-MD5', '-U', 'alice', '-w', ALICE.password] });
    expect(r.code, explain(r)).toBe(LDAP.authMethodNotSupported);
    expect(r.stderr).toMatch(/Authentication method not supported \(7\)/);
  });

  it('SASL PLAIN with credentials is authMethodNotSupported (7)', async () => {
    const r = await ldapsearch(server.url, {
      sasl: ['-Y', 'PLAIN', '-O', 'none', '-U', 'alice', '-w', ALICE.password],
      base: '',
      scope: 'base',
    });
    expect(r.code, explain(r)).toBe(LDAP.authMethodNotSupported);
  });

  it('ldapsearch without -x (its default SASL bind) gets authMethodNotSupported (7), never a dropped connection', async () => {
    // libldap first reads supportedSASLMechanisms from the root DSE and tries one of them;
    // were none listed, the tool would stop by itself with "No such attribute (16)" and the
    // server would never see a bind. The issue asks for the server's answer: 7.
    const r = await ldapsearch(server.url, { sasl: [], base: '', scope: 'base' });
    expect(r.code, explain(r)).toBe(LDAP.authMethodNotSupported);
    expect(r.stderr).not.toMatch(/Can't contact LDAP server/);
    expect(server.isRunning()).toBe(true);
  });

  it('LDAPv2 anonymous bind and search (NetMeeting)', async () => {
    const r = await ldapsearch(server.url, { version: 2, base: DYNAMIC, scope: 'base', attrs: ['ou'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries.map((e) => e.get('ou'))).toEqual([['dynamic']]);
  });

  it('LDAPv2 simple bind with a DN and an empty password is anonymous (NetMeeting)', async () => {
    const r = await ldapsearch(server.url, {
      version: 2,
      auth: { dn: 'cn=egruber@contoso.com,ou=dynamic,o=Intranet', password: '' },
      base: SUFFIX,
      scope: 'base',
      attrs: ['o'],
    });
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(r.entries).toHaveLength(1);
  });

  it('LDAPv2 bind to an account works', async () => {
    const r = await ldapsearch(server.url, { version: 2, auth: bindAs(ALICE), base: SUFFIX, scope: 'base', attrs: ['o'] });
    expect(r.code, explain(r)).toBe(LDAP.success);
  });
});

describe('rendezvous account', () => {
  it('list prints every name and which are admins, never a hash or a password', async () => {
    const r = await accountCli(['list', '--db', server.dbPath]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    const line = (name: string): string => lines.find((l) => new RegExp(`\\b${name}\\b`).test(l)) ?? '';
    expect(line('alice')).not.toBe('');
    expect(line('bob')).not.toBe('');
    expect(line('root')).toMatch(/admin/i);
    // alice is not an admin: her line says something else than root's, names aside.
    expect(line('alice').replace('alice', 'NAME').replace(/\s+/g, ' ')).not.toBe(line('root').replace('root', 'NAME').replace(/\s+/g, ' '));
    for (const secret of [ALICE.password, BOB.password, ADMIN.password, '$scrypt', 'scrypt$', '$argon2']) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    // No long base64 or hex runs (a salt or a key).
    expect(r.stdout).not.toMatch(/[A-Za-z0-9+/=]{32,}/);
  });

  it('add refuses a name that exists', async () => {
    const r = await accountCli(['add', 'alice', '--db', server.dbPath], { password: 'whatever-1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/alice/);
    const still = await ldapwhoami(server.url, { auth: bindAs(ALICE) });
    expect(still.code, explain(still)).toBe(LDAP.success);
  });

  it('add with --password-file, while the server runs: the new account can bind at once', async () => {
    const file = writeTempFile(server, 'carol.pw', 'carol-Secret-4');
    const r = await accountCli(['add', 'carol', '--password-file', file, '--db', server.dbPath]);
    expect(r.code, r.stderr).toBe(0);
    const who = await ldapwhoami(server.url, { auth: { dn: 'cn=carol,ou=accounts,o=Intranet', password: 'carol-Secret-4' } });
    expect(who.code, explain(who)).toBe(LDAP.success);
  });

  it('passwd changes the password: the old one is refused (49), the new one binds', async () => {
    const r = await accountCli(['passwd', 'bob', '--db', server.dbPath], { password: 'bob-New-5' });
    expect(r.code, r.stderr).toBe(0);
    const old = await ldapwhoami(server.url, { auth: bindAs(BOB) });
    expect(old.code, explain(old)).toBe(LDAP.invalidCredentials);
    const fresh = await ldapwhoami(server.url, { auth: { dn: bindAs(BOB).dn, password: 'bob-New-5' } });
    expect(fresh.code, explain(fresh)).toBe(LDAP.success);
  });

  it('delete removes the account: its bind is refused (49) and list no longer shows it', async () => {
    const add = await accountCli(['add', 'dave', '--db', server.dbPath], { password: 'dave-Secret-6' });
    expect(add.code, add.stderr).toBe(0);
    const r = await accountCli(['delete', 'dave', '--db', server.dbPath]);
    expect(r.code, r.stderr).toBe(0);
    const who = await ldapwhoami(server.url, { auth: { dn: 'cn=dave,ou=accounts,o=Intranet', password: 'dave-Secret-6' } });
    expect(who.code, explain(who)).toBe(LDAP.invalidCredentials);
    const list = await accountCli(['list', '--db', server.dbPath]);
    expect(list.stdout).not.toMatch(/\bdave\b/);
  });

  it('passwd and delete of an unknown account fail with a message', async () => {
    for (const args of [['passwd', 'nobody'], ['delete', 'nobody']]) {
      const r = await accountCli([...args, '--db', server.dbPath], { password: 'x-Secret-7' });
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/nobody/);
    }
  });
});
