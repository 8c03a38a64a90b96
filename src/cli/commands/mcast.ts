/**
 * `rendezvous mcast scopes|request|renew|release`: multicast address leases from a MADCAP
 * server (RFC 2730), through {@link McastAddressAllocation}. A lease saved with `--save` can
 * be renewed or released by a later run with `--lease FILE`; every lease a request obtains is
 * also kept (lease-store.ts), so that `release` finds it by an address it holds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { McastAddressAllocation, McastError, type McastLeaseInfo, type McastScope, type Retransmission } from '../../mcast/client.js';
import { MADCAP_PORT } from '../../mcast/server.js';
import { LOCAL_SCOPE_SERVER_ADDRESS } from '../../mcast/scopes.js';
import { CliError, UsageError } from '../errors.js';
import { formatLocalTime, formatRows, toJson } from '../format.js';
import { integerOption } from '../options.js';
import { formatTable } from '../table.js';
import { forgetLease, leasesHolding, rememberLease } from '../lease-store.js';
import { durationOption, timeOption } from '../time-options.js';

interface CommonFlags {
  server: string;
  /** `--multicast [GROUP[:PORT]]`: find the server by multicast instead of asking `--server`. */
  multicast?: true | string;
  timeout: number;
  json?: boolean;
}

interface RequestFlags extends CommonFlags {
  scope?: string;
  start?: Date;
  stop?: Date;
  duration?: number;
  count: number;
  save?: string;
}

interface LeaseFlags extends CommonFlags {
  lease?: string;
  requestId?: string;
  stop?: Date;
  duration?: number;
  save?: string;
}

const DEFAULT_SERVER = `127.0.0.1:${MADCAP_PORT}`;
const DEFAULT_LEASE_S = 60 * 60;

/** Runs a MADCAP call, turning its failures into CLI errors. */
async function madcap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof McastError) throw error.kind === 'usage' ? new UsageError(error.message) : new CliError(error.message);
    throw error;
  }
}

/**
 * RFC 2730's back-off scaled to the timeout: sends at 0, T/15, 3T/15 and 7T/15, gives up at T
 * (60 s gives the RFC's 4 s, 12 s, 28 s and 60 s).
 */
function retransmission(timeoutSeconds: number): Retransmission {
  const initialMs = (timeoutSeconds * 1000) / 15;
  return { initialMs, maxIntervalMs: 8 * initialMs, attempts: 4 };
}

function client(flags: CommonFlags, ipv6 = false): McastAddressAllocation {
  const where = flags.multicast === undefined ? { server: flags.server } : flags.multicast === true ? {} : { multicast: flags.multicast };
  return madcapSync(() => new McastAddressAllocation({ ...where, family: ipv6 ? 'ipv6' : 'ipv4', retransmission: retransmission(flags.timeout) }));
}

function madcapSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof McastError) throw new UsageError(error.message);
    throw error;
  }
}

function printLease(lease: McastLeaseInfo, flags: CommonFlags, verb: string): void {
  if (flags.json) {
    console.log(toJson(lease));
    return;
  }
  console.log(
    formatRows([
      [verb, lease.addresses.join(', ')],
      ['from', formatLocalTime(lease.start)],
      ['to', formatLocalTime(lease.stop)],
      ...(lease.ttl > 0 ? ([['ttl', String(lease.ttl)]] as const) : []),
      ['server', lease.serverAddress],
      ['request id', lease.requestId],
    ]),
  );
}

/** Writes a lease for a later run (`--lease FILE`). */
async function save(path: string | undefined, lease: McastLeaseInfo): Promise<void> {
  if (path === undefined) return;
  try {
    await writeFile(path, `${toJson(lease)}\n`, { mode: 0o600 });
  } catch (error) {
    throw new CliError(`cannot save the lease to ${path}: ${(error as Error).message}`);
  }
}

/** Keeps a lease for a later run that names it by address; a failure only warns (the lease is held all the same). */
async function remember(lease: McastLeaseInfo): Promise<void> {
  try {
    await rememberLease(lease);
  } catch (error) {
    process.stderr.write(`rendezvous: warning: cannot keep the lease for a later release by address: ${(error as Error).message}\n`);
  }
}

/**
 * The lease a kept lease holding `address` is (`release ADDRESS`).
 *
 * @throws {@link UsageError} when none or several do.
 */
async function leaseHolding(address: string, c: McastAddressAllocation): Promise<McastLeaseInfo> {
  const found = await leasesHolding(address, new Date());
  if (found.length === 0) {
    throw new UsageError(`no lease this user requested holds ${address} (or it has ended); name it with --lease FILE or --request-id HEX`);
  }
  if (found.length > 1) throw new UsageError(`several leases hold ${address} (request IDs ${found.map((l) => l.requestId).join(', ')}); name one with --request-id HEX`);
  return madcapSync(() => c.createLeaseInfo(found[0]!));
}

/** The lease named by `--lease FILE`, `--request-id HEX`, or the argument: a lease file or an address a kept lease holds. */
async function leaseOf(flags: LeaseFlags, c: McastAddressAllocation, argument?: string): Promise<McastLeaseInfo> {
  if (argument !== undefined) {
    if (flags.lease !== undefined || flags.requestId !== undefined) throw new UsageError(`name the lease once: ${argument}, --lease or --request-id`);
    if (isIP(argument) !== 0) return leaseHolding(argument, c);
    return leaseOf({ ...flags, lease: argument }, c);
  }
  if ((flags.lease === undefined) === (flags.requestId === undefined)) throw new UsageError('name the lease with --lease FILE or --request-id HEX');
  if (flags.requestId !== undefined) {
    const now = new Date();
    return madcapSync(() => c.createLeaseInfo({ start: now, stop: now, addresses: [], requestId: flags.requestId!, serverAddress: flags.server }));
  }
  let text: string;
  try {
    text = await readFile(flags.lease!, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the lease ${flags.lease}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let saved: Parameters<McastAddressAllocation['createLeaseInfo']>[0];
  try {
    saved = JSON.parse(text) as typeof saved;
  } catch {
    throw new UsageError(`${flags.lease} is not a lease saved by rendezvous mcast request --save`);
  }
  return madcapSync(() => c.createLeaseInfo(saved));
}

/** Adds the `mcast` command group. */
export function registerMcast(program: Command): void {
  const mcast = program.command('mcast').description('lease multicast addresses from a MADCAP server (RFC 2730), as TAPI 3 applications did');
  const common = (c: Command): Command =>
    c
      .option('--server <host[:port]>', `MADCAP server (port ${MADCAP_PORT} by default)`, DEFAULT_SERVER)
      .option('--multicast [group[:port]]', `instead of --server, find a server by multicast to its MADCAP server address (default ${LOCAL_SCOPE_SERVER_ADDRESS}:${MADCAP_PORT}, IPv4)`)
      .option('--timeout <seconds>', 'give up after this long without an answer (retransmitting with back-off)', integerOption('--timeout', 1, 3600), 60)
      .option('--json', 'print JSON');

  common(mcast.command('scopes'))
    .description("list the server's multicast scopes")
    .option('--ipv6', 'IPv6 scopes instead of IPv4')
    .addHelpText('after', '\nExample:\n  $ rendezvous mcast scopes --server madcap.example.com')
    .action(async (flags: CommonFlags & { ipv6?: boolean }) => {
      const scopes: McastScope[] = await madcap(() => client(flags, flags.ipv6).enumerateScopes());
      if (flags.json) console.log(toJson(scopes));
      else console.log(formatTable(['SCOPE ID', 'LAST ADDRESS', 'TTL', 'DESCRIPTION'], scopes.map((s) => [s.scopeId, s.lastAddress, String(s.ttl), s.description])));
    });

  common(mcast.command('request'))
    .description('lease addresses in a scope for a time span')
    .option('--scope <scope>', "Scope ID, an address in the scope, or its description (default: the server's first scope)")
    .option('--start <time>', 'when the lease starts (ISO 8601 or now)', timeOption('--start'))
    .option('--stop <time>', 'when it ends (ISO 8601)', timeOption('--stop'))
    .option('--duration <duration>', 'or how long it lasts (90, 30m, 2h, 1d; default 1h)', durationOption('--duration'))
    .option('--count <n>', 'consecutive addresses', integerOption('--count', 1, 65535), 1)
    .option('--save <file>', 'write the lease (JSON) for renew and release')
    .addHelpText('after', '\nExamples:\n  $ rendezvous mcast request --scope local --duration 2h --save lease.json\n  $ rendezvous mcast request --scope 239.192.0.0 --start 2026-11-24T14:00 --stop 2026-11-24T15:00')
    .action(async (flags: RequestFlags) => {
      if (flags.stop !== undefined && flags.duration !== undefined) throw new UsageError('give --stop or --duration, not both');
      const start = flags.start ?? new Date();
      const stop = flags.stop ?? new Date(start.getTime() + (flags.duration ?? DEFAULT_LEASE_S) * 1000);
      if (stop.getTime() <= Math.max(start.getTime(), Date.now())) throw new UsageError('the lease must stop in the future and after it starts');
      const lease = await madcap(async () => {
        const c = client(flags, flags.scope?.includes(':'));
        const scope = flags.scope === undefined ? (await c.enumerateScopes())[0] : await c.findScope(flags.scope);
        if (!scope) throw new CliError(`the MADCAP server ${flags.server} offers no scope`);
        return c.requestAddress(scope, start, stop, flags.count);
      });
      await save(flags.save, lease);
      await remember(lease);
      printLease(lease, flags, 'leased');
    });

  const named = (c: Command): Command => common(c).option('--lease <file>', 'the lease, as saved by request --save').option('--request-id <hex>', 'or its request ID');

  named(mcast.command('renew'))
    .description('extend a lease')
    .option('--stop <time>', 'new end (ISO 8601)', timeOption('--stop'))
    .option('--duration <duration>', 'or new length from now (90, 30m, 2h, 1d)', durationOption('--duration'))
    .option('--save <file>', 'write the renewed lease (JSON)')
    .addHelpText('after', '\nExample:\n  $ rendezvous mcast renew --lease lease.json --duration 2h --save lease.json')
    .action(async (flags: LeaseFlags) => {
      if (flags.stop !== undefined && flags.duration !== undefined) throw new UsageError('give --stop or --duration, not both');
      const c = client(flags);
      const lease = await leaseOf(flags, c);
      const stop = flags.stop ?? (flags.duration === undefined ? undefined : new Date(Date.now() + flags.duration * 1000));
      if (stop === undefined && flags.requestId !== undefined) throw new UsageError('with --request-id, give --stop or --duration');
      const renewed = await madcap(() => c.renewAddress(lease, stop));
      await save(flags.save, renewed);
      await remember(renewed);
      printLease(renewed, flags, 'renewed');
    });

  named(mcast.command('release'))
    .description('give a lease back')
    .argument('[lease]', 'a lease file, or an address of a lease this user requested (found among the leases request keeps)')
    .addHelpText('after', '\nExamples:\n  $ rendezvous mcast release --lease lease.json\n  $ rendezvous mcast release 239.255.0.1 --server madcap.example.com')
    .action(async (argument: string | undefined, flags: LeaseFlags) => {
      const c = client(flags);
      const lease = await leaseOf(flags, c, argument);
      await madcap(() => c.releaseAddress(lease));
      await forgetLease(lease.requestId);
      if (flags.json) console.log(toJson({ released: lease.requestId, addresses: lease.addresses }));
      else console.log(`released ${lease.addresses.length > 0 ? lease.addresses.join(', ') : lease.requestId}`);
    });
}
