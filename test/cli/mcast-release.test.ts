/**
 * `rendezvous mcast release` names a lease by an address it holds, as well as by a lease
 * file: every lease `mcast request` obtains is kept in the user's state directory
 * ($XDG_STATE_HOME/rendezvous/leases), and release finds it there and forgets it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliStateHome, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** The MADCAP address of the server, from its log. */
function madcapAddress(server: TestServer): string {
  const port = /madcap listening on udp:\/\/127\.0\.0\.1:(\d+)/.exec(server.logs())?.[1];
  if (port === undefined) throw new Error(`no madcap line in the log:\n${server.logs()}`);
  return `127.0.0.1:${port}`;
}

describe('mcast release ADDRESS', () => {
  let server: TestServer;
  const leases = (): string[] => {
    const dir = join(cliStateHome(), 'rendezvous', 'leases');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  beforeAll(async () => {
    server = await startServer({ args: ['--madcap-port', '0', '--scope', '239.253.0.0/23,4,Release bench'] });
  });
  afterAll(() => server?.stop());

  const mcast = (...args: string[]) => runCli(['mcast', ...args, '--server', madcapAddress(server), '--timeout', '5']);

  it('finds the lease a request kept by an address it holds, releases it and forgets it', async () => {
    const requested = await mcast('request', '--scope', 'release', '--duration', '1h', '--count', '2', '--json');
    expect(requested.code, requested.stderr).toBe(0);
    const lease = JSON.parse(requested.stdout) as { requestId: string; addresses: string[] };
    const kept = join(cliStateHome(), 'rendezvous', 'leases', `${lease.requestId}.json`);
    expect(JSON.parse(readFileSync(kept, 'utf8'))).toMatchObject({ requestId: lease.requestId, addresses: lease.addresses });

    const released = await mcast('release', lease.addresses[1]!);
    expect(released, released.stderr).toMatchObject({ code: 0, stdout: `released ${lease.addresses.join(', ')}\n` });
    expect(existsSync(kept)).toBe(false);

    const again = await mcast('release', lease.addresses[0]!);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`rendezvous: no lease this user requested holds ${lease.addresses[0]} (or it has ended); name it with --lease FILE or --request-id HEX\n`);
  });

  it('takes a lease file as the argument too, and refuses a lease named twice', async () => {
    const file = join(server.dir, 'bench-lease.json');
    const requested = await mcast('request', '--scope', 'release', '--duration', '1h', '--save', file);
    expect(requested.code, requested.stderr).toBe(0);
    const twice = await mcast('release', file, '--request-id', 'ab');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^rendezvous: name the lease once: /);
    const before = leases().length;
    const released = await mcast('release', file);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toMatch(/^released 239\.253\.0\.\d+\n$/);
    expect(leases()).toHaveLength(before - 1);
  });
});
