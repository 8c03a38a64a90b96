/**
 * A self-signed certificate for 127.0.0.1, made with openssl, for the TLS tests, and the
 * OpenLDAP tools run trusting it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './server.js';

export interface TestCertificate {
  /** PEM files. */
  cert: string;
  key: string;
  /** The certificate's bytes, to trust it as a CA. */
  ca: Buffer;
  remove(): void;
}

/** Makes a two-day self-signed certificate with the subject alternative name IP:127.0.0.1. */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'rendezvous-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key, ca: readFileSync(cert), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The LDAPS port the server logged (the server logs it before the ldap:// line startServer waits for). */
export function ldapsPort(server: TestServer): number {
  const m = /listening on ldaps:\/\/127\.0\.0\.1:(\d+)/.exec(server.logs());
  if (!m) throw new Error(`no LDAPS listener in the log:\n${server.logs()}`);
  return Number(m[1]);
}

/** Runs an OpenLDAP tool with TLS trusting our test CA (LDAPNOINIT would drop these variables). */
export function tlsTool(tool: string, args: string[], caFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env: { PATH: process.env.PATH, LDAPTLS_CACERT: caFile, LDAPTLS_REQCERT: 'demand' } });
    child.on('error', (error) => reject(new Error(`cannot run ${tool}: ${error.message}`)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
