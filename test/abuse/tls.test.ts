/**
 * TLS probed as an attacker would (issue 22, items 8 and 9). LDAPS sockets used to be counted
 * only once their handshake was done, so 1,100 handshakes left hanging from one address held
 * the server past its limits for 150 s; now every accepted socket is counted (per address
 * and in total, with --workers: by the primary) and a handshake must be done within
 * --handshake-timeout, after StartTLS too. StartTLS used to keep bytes sent in clear after the
 * request and put them in front of the first decrypted ones, so a man in the middle could
 * splice a request into the protected session (the CVE-2011-0411 class); now anything
 * received in clear after the request ends the connection unanswered, and bytes that come
 * after the response go to the TLS layer, which fails the handshake on them.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, sleep } from '../helpers/abuse.js';
import { berString, decodeMessages, ldapMessage, NOTICE_OF_DISCONNECTION, RawConnection, rootDseSearchRequest, simpleBindRequest, tlv } from '../helpers/raw-ldap.js';
import { startServer, stopAllServers, type TestServer } from '../helpers/server.js';
import { ldapsPort as ldapsPortOf, makeCertificate, type TestCertificate } from '../helpers/tls.js';

afterAll(() => stopAllServers());

const STARTTLS = ldapMessage(1, tlv(0x77, berString('1.3.6.1.4.1.1466.20037', 0x80)));
const isNotice = (m: { id: number; tag: number; body: Buffer }): boolean => m.id === 0 && m.tag === 0x78 && m.body.includes(Buffer.from(NOTICE_OF_DISCONNECTION));

let certificate: TestCertificate;
beforeAll(() => {
  certificate = makeCertificate();
});
afterAll(() => certificate.remove());

/** TLS over an open connection, trusting the test certificate; resolves the socket, or rejects when the handshake fails. */
function handshake(raw: RawConnection): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ socket: raw.socket, ca: certificate.ca, checkServerIdentity: () => undefined });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed during the handshake')));
    // A socket the server already closed gives no event at all.
    setTimeout(() => reject(new Error('no handshake within 3 s')), 3000);
  });
}

/** Everything `socket` receives until it closes or `ms` pass. */
function collect(socket: TLSSocket, ms: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    const done = (): void => resolve(Buffer.concat(chunks));
    socket.once('close', done);
    socket.once('error', () => undefined);
    setTimeout(done, ms);
  });
}

describe('TLS handshakes count toward the connection limits and have a deadline', () => {
  let server: TestServer;
  let ldapsPort: number;
  beforeAll(async () => {
    // Two workers: the limits are the server's, counted by the primary.
    server = await startServer({ args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, '--tls-port', '0', '--max-connections-per-address', '20', '--handshake-timeout', '2', '--workers', '2'] });
    ldapsPort = ldapsPortOf(server);
  });
  afterAll(() => server.stop());

  it('LDAPS sockets that never start their handshake take slots from the first byte on, are ended at --handshake-timeout, and the slots come back', async () => {
    const started = Date.now();
    const silent = await Promise.all(Array.from({ length: 30 }, () => RawConnection.open(ldapsPort)));
    await sleep(1000);
    // Twenty admitted, ten refused (closed: a client before its handshake could not read a notice).
    expect(silent.filter((c) => c.isClosed()).length).toBe(10);
    // The plain listener counts the same slots.
    const plain = await RawConnection.open(server.port);
    expect(await plain.waitClosed(3000)).toBe(true);
    expect(decodeMessages(plain.data()).messages.find(isNotice)?.resultCode).toBe(51);
    for (const c of silent) expect(await c.waitClosed(5000 - (Date.now() - started))).toBe(true);
    const ended = Date.now() - started;
    console.log(`30 silent LDAPS sockets from one address (limit 20): 10 refused at once, 20 ended after ${ended} ms`);
    expect(ended).toBeGreaterThanOrEqual(1900);
    await sleep(300);
    // The slots are free again: an LDAPS client and a plain one are served.
    const client = new Client({ url: `ldaps://127.0.0.1:${ldapsPort}`, tlsOptions: { ca: [certificate.ca], checkServerIdentity: () => undefined } });
    try {
      const { searchEntries } = await client.search('', { scope: 'base', attributes: ['supportedLDAPVersion'] });
      expect(searchEntries[0]?.supportedLDAPVersion).toBe('3');
    } finally {
      await client.unbind();
    }
    // One line for the refusals and one for the late handshakes (then a count every 10 s).
    expect(logLines(server, /refused connection from 127\.0\.0\.1/).length).toBeLessThanOrEqual(2);
    expect(logLines(server, /TLS handshake not done within 2 s/).length).toBeLessThanOrEqual(2);
  }, 30_000);

  it('a StartTLS whose handshake never comes is ended at --handshake-timeout', async () => {
    const c = await RawConnection.open(server.port);
    c.write(STARTTLS);
    const [response] = await c.waitMessages(1);
    expect(response).toMatchObject({ id: 1, tag: 0x78, resultCode: 0 });
    const started = Date.now();
    expect(await c.waitClosed(5000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });
});

describe('StartTLS plaintext injection (CVE-2011-0411 class)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key] });
  });
  afterAll(() => server.stop());

  it('control: StartTLS alone, then a search inside TLS, is answered', async () => {
    const c = await RawConnection.open(server.port);
    c.write(STARTTLS);
    expect((await c.waitMessages(1))[0]).toMatchObject({ id: 1, resultCode: 0 });
    const secure = await handshake(c);
    const received = collect(secure, 2000);
    secure.write(rootDseSearchRequest(2));
    await sleep(300);
    secure.destroy();
    expect(decodeMessages(await received).messages.find((m) => m.tag === 0x65)).toMatchObject({ id: 2, resultCode: 0 });
  });

  it('a search pipelined in clear with the StartTLS request is not answered, in clear or in TLS: the connection ends', async () => {
    const c = await RawConnection.open(server.port);
    c.write(Buffer.concat([STARTTLS, rootDseSearchRequest(2)]));
    expect(await c.waitClosed(3000)).toBe(true);
    const messages = decodeMessages(c.data()).messages;
    expect(messages.find(isNotice)).toMatchObject({ resultCode: 2, diagnosticMessage: 'data followed the StartTLS request before TLS was established' });
    expect(messages.filter((m) => m.id !== 0)).toEqual([]);
    await expect(handshake(c)).rejects.toThrow();
    expect(logLines(server, /disconnected: data followed the StartTLS request/).length).toBe(1);
  });

  it('the start of a request sent in clear with StartTLS is not joined to the first decrypted bytes', async () => {
    const search = rootDseSearchRequest(2);
    const c = await RawConnection.open(server.port);
    // The classic splice: the first bytes of a request in clear, the rest to come inside TLS.
    c.write(Buffer.concat([STARTTLS, search.subarray(0, 10)]));
    expect(await c.waitClosed(3000)).toBe(true);
    expect(decodeMessages(c.data()).messages.filter((m) => m.id !== 0)).toEqual([]);
    await expect(handshake(c)).rejects.toThrow();
  });

  it('a request written in clear after the StartTLS response, ahead of the handshake, fails the handshake and is not answered', async () => {
    const c = await RawConnection.open(server.port);
    c.write(STARTTLS);
    expect((await c.waitMessages(1))[0]).toMatchObject({ id: 1, resultCode: 0 });
    c.write(simpleBindRequest(2));
    await expect(handshake(c)).rejects.toThrow();
    expect(await c.waitClosed(3000)).toBe(true);
    expect(decodeMessages(c.data()).messages.filter((m) => m.id !== 1)).toEqual([]);
  });
});
