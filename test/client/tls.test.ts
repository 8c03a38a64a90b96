/**
 * TAPI's Connect(fSecure) in the library: StartTLS on an ldap:// URL, LDAPS on an ldaps://
 * one, against Rendezvous serving a self-signed certificate and refusing binds in clear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, Directory, DirectoryError, ResultCode } from '../../src/index.js';
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

  it('upgrades an ldap:// URL with StartTLS when secure, and binds', async () => {
    const directory = await Directory.connect(server.url, { secure: true, tls: { ca: [ca] } });
    try {
      await directory.bind(ALICE.dn, ALICE.password);
      expect(directory.isDynamic).toBe(true);
    } finally {
      await directory.close();
    }
  });

  it('connects to an ldaps:// URL', async () => {
    const directory = await Directory.connect(ldapsUrl, { tls: { ca: [ca] } });
    try {
      await directory.bind(ALICE.dn, ALICE.password);
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
