/**
 * The MADCAP server: a UDP socket (IANA port 2535 by default) in front of the responder, with
 * the response cache RFC 2730 asks for, which makes retransmitted requests idempotent, and a
 * timer that expires ended leases. It also joins the MADCAP Server Multicast Address of the
 * IPv4 scopes (§2.10), where clients multicast DISCOVER (§2.2.2) and the REQUEST that follows
 * it (§2.2.4); answers go back by unicast from the server's own address. A datagram that
 * cannot be read is dropped with a log line; nothing a client sends can stop the server.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../log.js';
import { parseAddress, type Family } from './address.js';
import type { Allocator } from './allocator.js';
import { decodeMessage, encodeMessage, ERROR_CODE, type MadcapMessage } from './codec.js';
import { DEFAULT_MAX_CLOCK_SKEW, nak, respond, type ResponderContext } from './responder.js';
import { serverMulticastAddresses } from './scopes.js';

/** The IANA port of MADCAP. */
export const MADCAP_PORT = 2535;

/** How to run the server. */
export interface MadcapServerOptions {
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  allocator: Allocator;
  log: Logger;
  /** The Server Identifier; by default the listening address, or this host's first address when that is a wildcard. */
  serverAddress?: string;
  /** How long answers are kept for retransmitted requests, ms (RFC 2730 recommends 60 s). */
  responseCacheMs?: number;
  /** Largest accepted clock skew of a client, seconds (RFC 2730 §2.12; default 1800, as RECOMMENDED). */
  maxClockSkew?: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Cached {
  at: number;
  bytes: Buffer;
}

/** Expire ended leases this often, so their addresses return while nobody asks. */
const EXPIRY_INTERVAL_MS = 60_000;

/** The address to name as Server Identifier when listening on a wildcard address. */
function defaultServerAddress(host: string, family: Family): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  if (!wildcard) return host;
  const candidates = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const own = candidates.find((i) => !i.internal && (family === 'ipv4' ? i.family === 'IPv4' : i.family === 'IPv6' && !i.address.startsWith('fe80')));
  return own?.address ?? (family === 'ipv4' ? '127.0.0.1' : '::1');
}

/** A running MADCAP server. */
export class MadcapServer {
  readonly #socket: Socket;
  /** Sockets bound to the MADCAP Server Multicast Addresses joined (a specific listening address). */
  readonly #groups: Socket[] = [];
  /** The groups joined, for the log. */
  readonly #joined: string[] = [];
  readonly #options: MadcapServerOptions;
  readonly #serverId: { family: Family; address: string };
  readonly #cache = new Map<string, Cached>();
  readonly #expiry: NodeJS.Timeout;
  #closed: Promise<void> | undefined;

  private constructor(socket: Socket, options: MadcapServerOptions) {
    this.#socket = socket;
    this.#options = options;
    const family: Family = options.host.includes(':') ? 'ipv6' : 'ipv4';
    const address = options.serverAddress ?? defaultServerAddress(options.host, family);
    this.#serverId = { family: parseAddress(address)?.family ?? family, address };
    socket.on('message', (datagram, peer) => this.#receive(datagram, peer, undefined));
    socket.on('error', (error) => options.log.warn(`madcap: socket error: ${error.message}`));
    this.#expiry = setInterval(() => {
      try {
        options.allocator.expire();
      } catch (error) {
        options.log.warn(`madcap: expiring leases failed: ${(error as Error).message}`);
      }
    }, EXPIRY_INTERVAL_MS).unref();
  }

  /**
   * Binds the socket and joins the MADCAP Server Multicast Addresses; rejects with the bind
   * error (EADDRINUSE, EACCES, ...). A group that cannot be joined (no multicast route) is
   * logged: the server then answers unicast only.
   */
  static async start(options: MadcapServerOptions): Promise<MadcapServer> {
    const socket = await bound(options.host.includes(':') ? 'udp6' : 'udp4', options.port, options.host);
    const server = new MadcapServer(socket, options);
    await server.#joinGroups();
    return server;
  }

  /**
   * Joins the IPv4 MADCAP Server Multicast Addresses on the listening interface. Listening on
   * the wildcard, the socket itself joins on every IPv4 interface; listening on one address,
   * a socket bound to each group address and the server's port receives what is multicast
   * there (the unicast socket, bound to its own address, does not).
   */
  async #joinGroups(): Promise<void> {
    const { host, log } = this.#options;
    if (host.includes(':')) return;
    const port = this.#socket.address().port;
    const wildcard = host === '0.0.0.0';
    const interfaces = wildcard
      ? Object.values(networkInterfaces())
          .flatMap((list) => list ?? [])
          .filter((i) => i.family === 'IPv4')
          .map((i) => i.address)
      : [host];
    for (const group of serverMulticastAddresses(this.#options.allocator.scopes)) {
      let target = this.#socket;
      if (!wildcard) {
        try {
          // Shared with other servers on this host that listen on other addresses: each gets a copy.
          target = await bound('udp4', port, group, true);
        } catch (error) {
          log.warn(`madcap: cannot listen on ${group}:${port}: ${(error as Error).message}; multicast DISCOVER to it will not be answered`);
          continue;
        }
        target.on('message', (datagram, peer) => this.#receive(datagram, peer, group));
        target.on('error', (error) => log.warn(`madcap: socket error on ${group}: ${error.message}`));
        this.#groups.push(target);
      }
      const joinedOn = interfaces.filter((address) => {
        try {
          target.addMembership(group, address);
          return true;
        } catch (error) {
          log.warn(`madcap: cannot join ${group} on ${address}: ${(error as Error).message}`);
          return false;
        }
      });
      if (joinedOn.length > 0) this.#joined.push(group);
    }
  }

  /** The MADCAP Server Multicast Addresses this server joined. */
  get groups(): readonly string[] {
    return this.#joined;
  }

  /** Where the server listens. */
  get address(): { host: string; port: number } {
    const a = this.#socket.address();
    return { host: a.address, port: a.port };
  }

  /** `udp://HOST:PORT`. */
  get url(): string {
    const { host, port } = this.address;
    return `udp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** The Server Identifier this server sends. */
  get serverId(): { family: Family; address: string } {
    return this.#serverId;
  }

  /** Stops listening. */
  close(): Promise<void> {
    return (this.#closed ??= new Promise((resolve) => {
      clearInterval(this.#expiry);
      for (const group of this.#groups) group.close();
      this.#socket.close(() => resolve());
    }));
  }

  /** One datagram, received by unicast or (`group`) on a MADCAP Server Multicast Address; the answer goes back by unicast. */
  #receive(datagram: Buffer, peer: RemoteInfo, group: string | undefined): void {
    const client = `${peer.address}:${peer.port}`;
    const log = this.#options.log;
    try {
      const now = (this.#options.now ?? Date.now)();
      const response = this.#answer(datagram, client, now, group === undefined ? client : `${client} via ${group}`);
      if (response) this.#socket.send(response, peer.port, peer.address);
    } catch (error) {
      // A failure here is ours (the database, a bug), never a reason to stop serving others.
      log.warn(`madcap: ${client}: request failed: ${(error as Error).message}`);
    }
  }

  /** The bytes to send back, or undefined to stay silent. `from` names the client and, for a multicast message, the group in log lines. */
  #answer(datagram: Buffer, client: string, now: number, from: string): Buffer | undefined {
    const log = this.#options.log;
    const decoded = decodeMessage(datagram);
    const ctx: ResponderContext = {
      allocator: this.#options.allocator,
      serverId: this.#serverId,
      maxClockSkew: this.#options.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW,
      client,
      now: () => now,
    };
    let message: MadcapMessage;
    if (decoded.ok) {
      message = decoded.message;
    } else if (decoded.answerable) {
      const { type, option } = decoded.answerable;
      log.warn(`madcap: ${from}: invalid ${typeof type === 'number' ? 'message' : type}: ${decoded.reason}; answering Invalid Request`);
      return encodeMessage(nak(ctx, decoded.answerable, ERROR_CODE.invalidRequest, option === undefined ? {} : { option }));
    } else {
      log.warn(`madcap: ${from}: dropped a malformed datagram of ${datagram.length} bytes: ${decoded.reason}`);
      return undefined;
    }

    // Same client, type, xid and lease: a retransmission, answered as the first time.
    const key = `${client}|${message.type}|${message.xid}|${message.options.leaseIdentifier?.toString('hex') ?? ''}`;
    this.#prune(now);
    const cached = this.#cache.get(key);
    if (cached) return cached.bytes;

    const response = respond(ctx, message);
    if ('ignore' in response) {
      log.info(`madcap: ${from}: ignored ${response.ignore}`);
      return undefined;
    }
    log.info(`madcap: ${from}: ${response.summary}`);
    const bytes = encodeMessage(response.reply);
    this.#cache.set(key, { at: now, bytes });
    return bytes;
  }

  /** Forgets answers older than the cache interval (the map is in insertion order). */
  #prune(now: number): void {
    const keep = this.#options.responseCacheMs ?? 60_000;
    for (const [key, entry] of this.#cache) {
      if (now - entry.at < keep) break;
      this.#cache.delete(key);
    }
  }
}

/** A UDP socket bound to `host:port`; rejects with the bind error. */
function bound(type: 'udp4' | 'udp6', port: number, host: string, reuseAddr = false): Promise<Socket> {
  const socket = createSocket({ type, reuseAddr });
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', fail);
    socket.bind(port, host, () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}
