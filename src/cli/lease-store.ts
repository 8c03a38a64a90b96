/**
 * The multicast leases this user's `rendezvous mcast request` obtained, kept so that a later
 * run can name one by an address it holds (`rendezvous mcast release 239.255.0.1`) instead of
 * by its file or request ID. One JSON file per lease, as `--save` writes it, named by its
 * request ID, mode 0600, in `$XDG_STATE_HOME/rendezvous/leases` (`~/.local/state/rendezvous/
 * leases` by default). Renewing a lease rewrites its file; releasing it removes the file.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { McastLeaseInfo } from '../mcast/client.js';
import { toJson } from './format.js';

/** A lease as saved: what `McastAddressAllocation.createLeaseInfo` reads back. */
export interface SavedLease {
  readonly requestId: string;
  readonly start: string;
  readonly stop: string;
  readonly addresses: readonly string[];
  readonly serverAddress: string;
  readonly ttl?: number;
  readonly scopeId?: string;
}

/** Where the leases are kept, by the XDG base directory rules. */
export function leaseDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'rendezvous', 'leases');
}

/** A request ID as a file name: hex only, as the client writes it. */
const fileOf = (requestId: string, env?: NodeJS.ProcessEnv): string => join(leaseDirectory(env), `${requestId.toLowerCase().replace(/[^0-9a-f]/g, '')}.json`);

/** Keeps a lease (replacing what was kept of it). */
export async function rememberLease(lease: McastLeaseInfo, env?: NodeJS.ProcessEnv): Promise<void> {
  await mkdir(leaseDirectory(env), { recursive: true, mode: 0o700 });
  await writeFile(fileOf(lease.requestId, env), `${toJson(lease)}\n`, { mode: 0o600 });
}

/** Forgets a lease; nothing when it was not kept. */
export async function forgetLease(requestId: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await rm(fileOf(requestId, env), { force: true });
}

/** The same address, whatever its spelling (IPv6 in any case). */
const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The kept leases that hold `address` and have not ended; none when nothing was kept. */
export async function leasesHolding(address: string, now: Date, env?: NodeJS.ProcessEnv): Promise<SavedLease[]> {
  const dir = leaseDirectory(env);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: SavedLease[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    let lease: SavedLease;
    try {
      lease = JSON.parse(await readFile(join(dir, name), 'utf8')) as SavedLease;
    } catch {
      continue; // not one of ours, or half written: it names no lease
    }
    if (!Array.isArray(lease.addresses) || Date.parse(lease.stop) <= now.getTime()) continue;
    if (lease.addresses.some((a) => sameAddress(a, address))) found.push(lease);
  }
  return found;
}
