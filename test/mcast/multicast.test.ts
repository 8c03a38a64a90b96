/**
 * MADCAP by multicast (RFC 2730 §2.2.2, §2.2.4, §2.9–§2.10), in a network namespace of its
 * own (`unshare -rn`: a user and network namespace, no privileges needed) where loopback
 * carries 224.0.0.0/4: the real `rendezvous serve` joins the MADCAP Server Multicast Address
 * 239.255.255.254 and answers a hand-made DISCOVER sent there, and `rendezvous mcast request
 * --multicast` leases an address without knowing the server (GETINFO, DISCOVER and REQUEST
 * multicast). Inside the namespace nothing else listens, so the IANA ports are used.
 *
 * If `unshare -rn` does not work on a machine, this test fails: it is not skipped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/mcast/codec.js';

const REPO = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rendezvous-madcap-netns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A DISCOVER written out by hand (RFC 2730 §2.1 header, §3 options): IPv4, xid 0x0badcafe. */
const DISCOVER = [
  '00 01 0001 0badcafe', // version 0, DISCOVER, IPv4, xid
  '0001 0004 00000e10', // Lease Time: 3600 s
  '0003 0011 00 0102030405060708090a0b0c0d0e0f10', // Lease Identifier: type 0 + 16 bytes
  '0004 0004 efff0000', // Multicast Scope: 239.255.0.0 (Local Scope)
  '0000 0000', // End
]
  .join(' ')
  .replace(/\s+/g, '');

/** Sends the DISCOVER to the Local Scope's MADCAP Server Multicast Address and prints the answer's hex. */
const DISCOVER_SCRIPT = `
import { createSocket } from 'node:dgram';
const socket = createSocket('udp4');
const timer = setTimeout(() => { console.log('no answer'); process.exit(1); }, 5000);
socket.on('message', (b) => { console.log(b.toString('hex')); clearTimeout(timer); socket.close(); });
socket.bind(0, () => socket.send(Buffer.from('${DISCOVER}', 'hex'), 2535, '239.255.255.254'));
`;

/** Starts the server in the namespace, runs the clients, stops it, and prints its log after a marker. */
const SCRIPT = `
set -e
export PATH="$PATH:/usr/sbin:/sbin"
ip link set lo up
ip route add 224.0.0.0/4 dev lo
node bin/rendezvous serve --db "${dir}/r.db" --port 1389 --madcap-port 2535 --workers 1 2>"${dir}/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for i in $(seq 300); do grep -q 'multicast addresses' "${dir}/log" && break; sleep 0.1; done
echo "== discover"
node "${dir}/discover.mjs"
echo "== request"
node bin/rendezvous mcast request --multicast --scope local --count 2 --duration 1h --timeout 10 --json
kill $pid
wait $pid || true
echo "== log"
cat "${dir}/log"
`;

function inNamespace(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('unshare', ['-rn', 'sh', '-c', script], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('MADCAP by multicast on loopback, in a network namespace', () => {
  it('answers a multicast DISCOVER, and a client that knows no server leases an address', async () => {
    writeFileSync(join(dir, 'discover.mjs'), DISCOVER_SCRIPT);
    const run = await inNamespace(SCRIPT);
    expect(run.code, `unshare -rn must work here (it does for an unprivileged user on Debian):\n${run.stderr}\n${run.stdout}`).toBe(0);
    const [, discover, request, log] = run.stdout.split(/^== (?:discover|request|log)\n/m);

    // The OFFER to the hand-made DISCOVER: same xid and Lease Identifier, a 6-byte address range.
    const offer = Buffer.from(discover!.trim(), 'hex');
    const decoded = decodeMessage(offer);
    expect(decoded).toMatchObject({ ok: true, message: { type: 'OFFER', xid: 0x0badcafe, options: { multicastScope: '239.255.0.0', addressRanges: [{ first: '239.255.0.0', last: '239.255.0.0' }] } } });
    expect(offer.toString('hex')).toContain('000a0006efff00000001');

    const lease = JSON.parse(request!) as { addresses: string[]; serverAddress: string; scopeId: string };
    expect(lease).toMatchObject({ addresses: ['239.255.0.0', '239.255.0.1'], serverAddress: '127.0.0.1', scopeId: '239.255.0.0' });

    expect(log).toMatch(/madcap listening on the MADCAP server multicast addresses 239\.255\.255\.254, 239\.195\.255\.254 \(port 2535\)/);
    expect(log).toMatch(/via 239\.255\.255\.254: DISCOVER 000102030405060708090a0b0c0d0e0f10: OFFER/);
    // The client's exchanges all went to the group: scopes, then DISCOVER and the REQUEST naming the server.
    expect(log).toMatch(/via 239\.255\.255\.254: GETINFO [0-9a-f]+: ACK/);
    expect(log).toMatch(/via 239\.255\.255\.254: DISCOVER [0-9a-f]+: OFFER could lease 239\.255\.0\.0\.\.239\.255\.0\.1/);
    expect(log).toMatch(/via 239\.255\.255\.254: REQUEST [0-9a-f]+: ACK leased 239\.255\.0\.0\.\.239\.255\.0\.1/);
  }, 60_000);
});
