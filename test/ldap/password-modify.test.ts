/**
 * Password Modify (RFC 3062) through the wire, as ldappasswd and python-ldap's passwd_s send
 * it: an account changes its own password, an admin anyone's, the server generates one when
 * asked, each refusal has its code; with worker processes the write hops to the primary; with
 * --require-tls-for-bind it needs TLS (ldappasswd -ZZ).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldappasswd, ldapsearch, runLdapTool, LDAP, type Bind } from '../helpers/ldap-tools.js';
import { explainPython, runPython } from '../helpers/python.js';
import { accountDn, startServer, stopAllServers, type TestServer } from '../helpers/server.js';
import { makeCertificate, tlsTool, type TestCertificate } from '../helpers/tls.js';

const PASSWORD_MODIFY = '1.3.6.1.4.1.4203.1.11.1';
const accounts = [
  { name: 'alice', password: 'alice-Secret-1' },
  { name: 'bob', password: 'bob-Secret-2' },
  { name: 'carol', password: 'carol-Secret-4' },
  { name: 'root', password: 'root-Secret-3', admin: true },
];
const as = (name: string, password: string): { auth: Bind } => ({ auth: { dn: accountDn(name), password } });

afterAll(() => stopAllServers());

/** The exit code of `ldapwhoami` bound as the account with this password (0, or 49 for a wrong one). */
async function whoami(server: TestServer, name: string, password: string): Promise<number | null> {
  return (await runLdapTool('ldapwhoami', ['-x', '-H', server.url, '-o', 'nettimeout=10', '-D', accountDn(name), '-w', password])).code;
}

describe.each([
  ['one process', ['--workers', '1']],
  ['two workers (the write hops to the primary)', ['--workers', '2']],
])('ldappasswd, %s', (_mode, args) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ accounts, args });
  });
  afterAll(() => server.stop());

  it('is listed in the root DSE', async () => {
    const dse = await ldapsearch(server.url, { base: '', scope: 'base', attrs: ['supportedExtension'] });
    expect(dse.entries[0]?.get('supportedExtension')).toContain(PASSWORD_MODIFY);
  });

  it('an account changes its own password: the new one binds, the old one no longer does', async () => {
    const r = await ldappasswd(server.url, { oldPassword: 'alice-Secret-1', newPassword: 'alice-New-1' }, as('alice', 'alice-Secret-1'));
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(await whoami(server, 'alice', 'alice-New-1')).toBe(0);
    expect(await whoami(server, 'alice', 'alice-Secret-1')).toBe(LDAP.invalidCredentials);
  });

  it('without the old password too (the bind proved it), naming itself by DN or not at all', async () => {
    const r = await ldappasswd(server.url, { user: accountDn('alice'), newPassword: 'alice-New-2' }, as('alice', 'alice-New-1'));
    expect(r.code, explain(r)).toBe(LDAP.success);
    expect(await whoami(server, 'alice', 'alice-New-2')).toBe(0);
  });

  it('a wrong old password is invalidCredentials (49), and nothing changes', async () => {
    const r = await ldappasswd(server.url, { oldPassword: 'not-it', newPassword: 'alice-New-3' }, as('alice', 'alice-New-2'));
    expect(r.code, explain(r)).toBe(LDAP.invalidCredentials);
    expect(r.info).toContain('old password');
    expect(await whoami(server, 'alice', 'alice-New-2')).toBe(0);
  });

  it("an account cannot change another's password: insufficientAccessRights (50)", async () => {
    const r = await ldappasswd(server.url, { user: accountDn('bob'), newPassword: 'taken-over' }, as('alice', 'alice-New-2'));
    expect(r.code, explain(r)).toBe(LDAP.insufficientAccessRights);
    expect(await whoami(server, 'bob', 'bob-Secret-2')).toBe(0);
  });

  it("an admin changes anyone's, by DN or by name; an unknown account is noSuchObject (32)", async () => {
    const byDn = await ldappasswd(server.url, { user: accountDn('bob'), newPassword: 'bob-New-1' }, as('root', 'root-Secret-3'));
    expect(byDn.code, explain(byDn)).toBe(LDAP.success);
    expect(await whoami(server, 'bob', 'bob-New-1')).toBe(0);
    const byName = await ldappasswd(server.url, { user: 'bob', newPassword: 'bob-New-2' }, as('root', 'root-Secret-3'));
    expect(byName.code, explain(byName)).toBe(LDAP.success);
    expect(await whoami(server, 'bob', 'bob-New-2')).toBe(0);
    const nobody = await ldappasswd(server.url, { user: accountDn('nobody'), newPassword: 'x-Secret-9' }, as('root', 'root-Secret-3'));
    expect(nobody.code, explain(nobody)).toBe(LDAP.noSuchObject);
  });

  it('generates a password when the request gives none, and returns it', async () => {
    const r = await ldappasswd(server.url, {}, as('bob', 'bob-New-2'));
    expect(r.code, explain(r)).toBe(LDAP.success);
    const generated = /^New password: (\S+)$/m.exec(r.stdout)?.[1];
    expect(generated, explain(r)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await whoami(server, 'bob', generated!)).toBe(0);
  });

  it('anonymous clients are refused with strongerAuthRequired (8)', async () => {
    const r = await ldappasswd(server.url, { user: accountDn('carol'), newPassword: 'nope-Secret' });
    expect(r.code, explain(r)).toBe(LDAP.strongerAuthRequired);
    expect(await whoami(server, 'carol', 'carol-Secret-4')).toBe(0);
  });

  it("python-ldap's passwd_s changes the bound account's own", async () => {
    const r = await runPython<{ passwd: number; binds_with_new: boolean }>('passwd_modify.py', [server.url, accountDn('carol'), 'carol-Secret-4', '', 'carol-New-1']);
    expect(r.json, explainPython(r)).toEqual({ passwd: 0, binds_with_new: true });
  });
});

describe('ldappasswd with --require-tls-for-bind', () => {
  let certificate: TestCertificate;
  let server: TestServer;
  beforeAll(async () => {
    certificate = makeCertificate();
    server = await startServer({ accounts, args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, '--require-tls-for-bind'] });
  });
  afterAll(async () => {
    await server.stop();
    certificate.remove();
  });

  it('changes the password over StartTLS (ldappasswd -ZZ)', async () => {
    const r = await tlsTool('ldappasswd', ['-x', '-ZZ', '-H', server.url, '-D', accountDn('alice'), '-w', 'alice-Secret-1', '-s', 'alice-Tls-1'], certificate.cert);
    expect(r.code, r.stderr).toBe(0);
    const bind = await tlsTool('ldapwhoami', ['-x', '-ZZ', '-H', server.url, '-D', accountDn('alice'), '-w', 'alice-Tls-1'], certificate.cert);
    expect(bind.code, bind.stderr).toBe(0);
  });

  it('refuses it in clear with confidentialityRequired (13)', async () => {
    const r = await ldappasswd(server.url, { user: accountDn('alice'), newPassword: 'in-clear-1' });
    expect(r.code, explain(r)).toBe(LDAP.confidentialityRequired);
    expect(r.info).toContain('need TLS');
  });
});
