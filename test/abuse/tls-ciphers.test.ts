/**
 * TLS offers Mozilla's "intermediate" configuration only (issue 22, item 12), on LDAPS and
 * on StartTLS alike, probed with Debian's `openssl s_client` (`-starttls ldap` sends the
 * StartTLS request itself): a CBC suite with a SHA-1 MAC, a static-RSA suite and TLS 1.1 are
 * refused; forward-secret AEAD suites of TLS 1.2 and TLS 1.3 are accepted.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopAllServers, type TestServer } from '../helpers/server.js';
import { ldapsPort, makeCertificate, type TestCertificate } from '../helpers/tls.js';

/** What a handshake gave: the protocol and suite, or undefined when it failed. */
interface Handshake {
  protocol: string | undefined;
  cipher: string | undefined;
  output: string;
}

/** `openssl s_client -brief` with the given arguments; its input is empty, so it ends after the handshake. */
function sClient(args: string[]): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-brief', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const established = output.includes('CONNECTION ESTABLISHED');
      resolve({ protocol: established ? /Protocol version: (\S+)/.exec(output)?.[1] : undefined, cipher: established ? /Ciphersuite: (\S+)/.exec(output)?.[1] : undefined, output });
    });
  });
}

/** TLS 1.2 suites that must be refused: CBC with SHA-1 (forward-secret or not), and static RSA (even with GCM). */
const REFUSED = ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'AES128-SHA', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-SHA256'];
/** TLS 1.2 suites of the intermediate configuration an RSA certificate can use. */
const ACCEPTED = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES128-GCM-SHA256'];

afterAll(() => stopAllServers());

describe('TLS cipher suites', () => {
  let certificate: TestCertificate;
  let server: TestServer;
  const targets: Record<string, string[]> = {};

  beforeAll(async () => {
    certificate = makeCertificate();
    server = await startServer({ args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, '--tls-port', '0'] });
    targets.LDAPS = ['-connect', `127.0.0.1:${ldapsPort(server)}`];
    targets.StartTLS = ['-connect', `127.0.0.1:${server.port}`, '-starttls', 'ldap'];
  });
  afterAll(async () => {
    await server.stop();
    certificate.remove();
  });

  for (const target of ['LDAPS', 'StartTLS']) {
    it(`${target}: refuses CBC-SHA1, static-RSA suites and TLS 1.1`, async () => {
      for (const cipher of REFUSED) {
        const r = await sClient([...targets[target]!, '-tls1_2', '-cipher', cipher]);
        expect(r.cipher, `${cipher} was accepted:\n${r.output}`).toBeUndefined();
        expect(r.output).toMatch(/handshake failure|no cipher/);
      }
      // (OpenSSL's client needs its security level lowered to offer TLS 1.1 at all.)
      const old = await sClient([...targets[target]!, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
      expect(old.protocol, old.output).toBeUndefined();
    });

    it(`${target}: accepts the intermediate TLS 1.2 suites and TLS 1.3`, async () => {
      for (const cipher of ACCEPTED) {
        const r = await sClient([...targets[target]!, '-tls1_2', '-cipher', cipher]);
        expect({ protocol: r.protocol, cipher: r.cipher }, r.output).toEqual({ protocol: 'TLSv1.2', cipher });
      }
      const modern = await sClient([...targets[target]!]);
      expect(modern.protocol, modern.output).toBe('TLSv1.3');
    });
  }
});
