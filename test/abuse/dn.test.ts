/**
 * Long DNs probed as an attacker sends them (issue 22, item 1), through the wire with
 * hand-built requests, on a server with two workers (writes go to the primary):
 *
 * - A DN over the limits (8,192 bytes, 64 RDNs: docs/server.md, "Transport security and limits") is
 *   refused with invalidDNSyntax by the worker that decodes it: the primary, which every
 *   write and new connection waits on, spends nothing on it, and another client's reads are
 *   answered within their usual latency meanwhile.
 * - Within the limits, a DN costs what its bytes cost, not the square of its RDN count: a
 *   search base of 64 RDNs costs what one RDN of the same length costs, and noSuchObject
 *   names the deepest existing entry as its matchedDN.
 *
 * (The DN cache is probed in caches.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuOf, deleteRequest, filterSearchRequest, max, presentFilter, Reader, sendAll, usualLatencyBound } from '../helpers/abuse.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SUFFIX = 'o=Intranet';
const DYNAMIC = `ou=dynamic,${SUFFIX}`;
const INVALID_DN_SYNTAX = 34;
const NO_SUCH_OBJECT = 32;
const MAX_DN_BYTES = 8192;
const MAX_DN_RDNS = 64;

/** A DN of `rdns` RDNs below ou=dynamic (`cn=<tag>a<i>`), the first padded to make it `bytes` long when that is given. */
function deepDn(rdns: number, bytes = 0, tag = ''): string {
  const names = Array.from({ length: rdns - 2 }, (_, i) => `cn=${tag}a${i}`);
  const pad = Math.max(0, bytes - [...names, DYNAMIC].join(',').length);
  names[0] += 'x'.repeat(pad);
  return [...names, DYNAMIC].join(',');
}

/** A DN of three RDNs whose first value makes it `bytes` long. */
const wideDn = (bytes: number, tag = ''): string => `cn=${tag}${'x'.repeat(bytes - `cn=${tag},${DYNAMIC}`.length)},${DYNAMIC}`;

const presentObjectClass = presentFilter('objectClass');

describe('long DNs, --workers 2', () => {
  let server: TestServer;
  let reader: Reader;
  /** Root DSE reads on an idle server. */
  let baseline: number[];
  beforeAll(async () => {
    server = await startServer({ args: ['--workers', '2'] });
    reader = await Reader.open(server.port);
    await reader.reads(5); // warm up
    baseline = await reader.reads(20);
  });
  afterAll(async () => {
    reader.close();
    await server.stop();
  });

  it('a delete whose DN has 6,000 RDNs (30 KB, anonymous) is invalidDNSyntax from the worker; the primary spends nothing; reads go on', async () => {
    const dn = [...Array.from({ length: 5998 }, () => 'cn=x'), DYNAMIC].join(',');
    expect(dn.length).toBeGreaterThan(30_000);
    const requests = Array.from({ length: 20 }, (_, i): [number, Buffer] => [i + 1, deleteRequest(i + 1, dn)]);
    const started = performance.now();
    const { primary, value } = await cpuOf(server.pid, () => reader.during(sendAll(server.port, requests)));
    const elapsed = performance.now() - started;
    for (const [id] of requests) {
      expect(value.value.get(id)?.resultCode).toBe(INVALID_DN_SYNTAX);
      expect(value.value.get(id)?.diagnosticMessage).toMatch(/bytes long; at most 8192 are accepted/);
    }
    // Was 29.6 s of the primary for one; now twenty cost less than a scheduler tick there.
    expect(primary).toBeLessThan(0.05);
    expect(elapsed).toBeLessThan(2000);
    expect(max(value.latencies)).toBeLessThan(usualLatencyBound(baseline));
  });

  it('a DN over 8,192 bytes is invalidDNSyntax, one at the limit is read (noSuchObject), as slapd does', async () => {
    const at = await sendAll(server.port, [
      [1, filterSearchRequest(1, wideDn(MAX_DN_BYTES), 0, presentObjectClass)],
      [2, filterSearchRequest(2, wideDn(MAX_DN_BYTES + 1), 0, presentObjectClass)],
      [3, deleteRequest(3, wideDn(MAX_DN_BYTES + 1))],
    ]);
    expect(at.get(1)?.resultCode).toBe(NO_SUCH_OBJECT);
    expect(at.get(1)?.matchedDN?.toLowerCase()).toBe(DYNAMIC.toLowerCase());
    expect(at.get(2)?.resultCode).toBe(INVALID_DN_SYNTAX);
    expect(at.get(2)?.diagnosticMessage).toContain(`${MAX_DN_BYTES + 1} bytes`);
    expect(at.get(3)?.resultCode).toBe(INVALID_DN_SYNTAX);
  });

  it('64 RDNs are read (noSuchObject naming ou=dynamic as matched), 65 are invalidDNSyntax: no entry can be that deep', async () => {
    const r = await sendAll(server.port, [
      [1, filterSearchRequest(1, deepDn(MAX_DN_RDNS), 0, presentObjectClass)],
      [2, deleteRequest(2, deepDn(MAX_DN_RDNS))],
      [3, filterSearchRequest(3, deepDn(MAX_DN_RDNS + 1), 2, presentObjectClass)],
    ]);
    expect(r.get(1)?.resultCode).toBe(NO_SUCH_OBJECT);
    expect(r.get(1)?.matchedDN?.toLowerCase()).toBe(DYNAMIC.toLowerCase());
    expect(r.get(2)?.resultCode).toBe(NO_SUCH_OBJECT);
    expect(r.get(2)?.matchedDN?.toLowerCase()).toBe(DYNAMIC.toLowerCase());
    expect(r.get(3)?.resultCode).toBe(INVALID_DN_SYNTAX);
    expect(r.get(3)?.diagnosticMessage).toContain(`${MAX_DN_RDNS + 1} RDNs; at most ${MAX_DN_RDNS} are accepted`);
  });

  it('a base of 64 RDNs costs what one RDN of the same length costs (linear, not quadratic, in the RDNs)', async () => {
    const searches = (dn: (i: number) => string) => Array.from({ length: 200 }, (_, i): [number, Buffer] => [i + 1, filterSearchRequest(i + 1, dn(i), 0, presentObjectClass)]);
    const cost = async (dn: (i: number) => string): Promise<number> => {
      const { workers, primary, value } = await cpuOf(server.pid, () => sendAll(server.port, searches(dn)));
      for (const m of value.values()) expect(m.resultCode).toBe(NO_SUCH_OBJECT);
      return workers + primary;
    };
    // Different DNs each time, so no cache answers; the wide ones first, as a warm-up for both.
    await cost((i) => wideDn(MAX_DN_BYTES - 100, `w${i}-`));
    const wide = await cost((i) => wideDn(MAX_DN_BYTES - 100, `v${i}-`));
    const deep = await cost((i) => deepDn(MAX_DN_RDNS, MAX_DN_BYTES - 100, `d${i}-`));
    expect(deep).toBeLessThan(2 * wide + 0.2);
  });
});
