/**
 * TAPI's Connect(fSecure) in the library: StartTLS on an ldap:// URL, LDAPS on an ldaps://
 * one, against Rendezvous serving a self-signed certificate and refusing binds in clear.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, Directory, DirectoryError, ResultCode } from '../../src/index.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually } from './targets.js';

const ALICE = { dn: 'cn=alice,ou=accounts,o=Intranet', password: 'alice-pw' };

describe('secure connections', () => {
  let dir: string;
  let ca: Buffer;
  let server: TestServer;
  let ldapsUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rendezvous-client-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(cert);
    server = await startServer({ accounts: [{ name: 'alice', password: ALICE.password }], args: ['--tls-cert', cert, '--tls-key', key, '--tls-port', '0', '--require-tls-for-bind'] });
    // The LDAPS line may follow the ldap:// one that startServer waits for.
    const ldapsLine = /listening on (ldaps:\/\/127\.0\.0\.1:\d+)/;
    await eventually(() => ldapsLine.test(server.logs()), 5000, 'the LDAPS listener');
    ldapsUrl = ldapsLine.exec(server.logs())![1]!;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
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
