/**
 * TAPI's Connect(fSecure) in the library: StartTLS on an ldap:// URL, LDAPS on an ldaps://
 * one, against Rendezvous serving a self-signed certificate and refusing binds in clear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, Directory, DirectoryError, ResultCode, User } from '../../src/index.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ldapsPort, makeCertificate, type TestCertificate } from '../helpers/tls.js';

const ALICE = { dn: 'cn=alice,ou=accounts,o=Intranet', password: 'alice-pw' };

describe('secure connections', () => {
  let certificate: TestCertificate;
  let ca: Buffer;
  let server: TestServer;
  let ldapsUrl: string;

  beforeAll(async () => {
    certificate = makeCertificate();
    ca = certificate.ca;
    server = await startServer({ accounts: [{ name: 'alice', password: ALICE.password }], args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, '--tls-port', '0', '--require-tls-for-bind'] });
    ldapsUrl = `ldaps://127.0.0.1:${ldapsPort(server)}`;
  });
  afterAll(async () => {
    await server?.stop();
    certificate.remove();
  });

  /** Binds as alice and writes with her rights: the server refuses her bind in clear (and the add without it), so both succeeding shows the connection is encrypted. */
  async function bindAndWrite(directory: Directory, name: string): Promise<void> {
    await expect(directory.bind(ALICE.dn, ALICE.password)).resolves.toBeUndefined();
    const user = new User({ name, ipAddresses: ['192.0.2.7'] });
    await directory.add(user);
    expect((await directory.get('user', name))?.name).toBe(name);
    await directory.delete(user);
  }

  it('upgrades an ldap:// URL with StartTLS when secure, and binds', async () => {
    const directory = await Directory.connect(server.url, { secure: true, tls: { ca: [ca] } });
    try {
      expect(directory.url).toBe(server.url);
      expect(directory.isDynamic).toBe(true);
      await bindAndWrite(directory, 'starttls@example.org');
    } finally {
      await directory.close();
    }
  });

  it('connects to an ldaps:// URL', async () => {
    const directory = await Directory.connect(ldapsUrl, { tls: { ca: [ca] } });
    try {
      expect(directory.isConnected).toBe(true);
      expect(directory.url).toBe(ldapsUrl);
      await bindAndWrite(directory, 'ldaps@example.org');
    } finally {
      await directory.close();
    }
  });

  it('passes on the refusal of a password in clear', async () => {
    const directory = await Directory.connect(server.url);
    try {
      const error = await directory.bind(ALICE.dn, ALICE.password).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryError);
      expect((error as DirectoryError).code).toBe(ResultCode.confidentialityRequired);
    } finally {
      await directory.close();
    }
  });

  it('refuses a certificate it cannot verify, as a connection failure', async () => {
    const error = await Directory.connect(ldapsUrl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).toMatch(new RegExp(`^cannot connect to ${ldapsUrl}: .*self[- ]signed`, 'i'));
  });
});
