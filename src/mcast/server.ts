/**
 * The MADCAP server: a UDP socket (port 2535 by default, RFC 2730 §2.1) in front of the
 * responder, with the response cache that makes retransmitted requests idempotent (§2.5) and
 * a timer that expires ended leases. A datagram that cannot be read is dropped with a log
 * line; nothing a client sends can stop the server.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../log.js';
import { parseAddress, type Family } from './address.js';
import type { Allocator } from './allocator.js';
import { decodeMessage, encodeMessage, ERROR_CODE, type MadcapMessage } from './codec.js';
import { nak, respond, type ResponderContext } from './responder.js';

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
  /** Largest accepted clock skew of a client, seconds (default 300). */
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
    socket.on('message', (datagram, peer) => this.#receive(datagram, peer));
    socket.on('error', (error) => options.log.warn(`madcap: socket error: ${error.message}`));
    this.#expiry = setInterval(() => {
      try {
        options.allocator.expire();
      } catch (error) {
        options.log.warn(`madcap: expiring leases failed: ${(error as Error).message}`);
      }
    }, EXPIRY_INTERVAL_MS).unref();
  }

  /** Binds the socket; rejects with the bind error (EADDRINUSE, EACCES, ...). */
  static start(options: MadcapServerOptions): Promise<MadcapServer> {
    const socket = createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once('error', fail);
      socket.bind(options.port, options.host, () => {
        socket.off('error', fail);
        resolve(new MadcapServer(socket, options));
      });
    });
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
      this.#socket.close(() => resolve());
    }));
  }

  #receive(datagram: Buffer, peer: RemoteInfo): void {
    const client = `${peer.address}:${peer.port}`;
    const log = this.#options.log;
    try {
      const now = (this.#options.now ?? Date.now)();
      const response = this.#answer(datagram, client, now);
      if (response) this.#socket.send(response, peer.port, peer.address);
    } catch (error) {
      // A failure here is ours (the database, a bug), never a reason to stop serving others.
      log.warn(`madcap: ${client}: request failed: ${(error as Error).message}`);
    }
  }

  /** The bytes to send back, or undefined to stay silent. */
  #answer(datagram: Buffer, client: string, now: number): Buffer | undefined {
    const log = this.#options.log;
    const decoded = decodeMessage(datagram);
    const ctx: ResponderContext = {
      allocator: this.#options.allocator,
      serverId: this.#serverId,
      maxClockSkew: this.#options.maxClockSkew ?? 300,
      client,
      now: () => now,
    };
    let message: MadcapMessage;
    if (decoded.ok) {
      message = decoded.message;
    } else if (decoded.answerable) {
      log.warn(`madcap: ${client}: invalid ${decoded.answerable.type}: ${decoded.reason}; answering Invalid Request`);
      const data = decoded.answerable.option === undefined ? undefined : Buffer.from([decoded.answerable.option >> 8, decoded.answerable.option & 0xff]);
      return encodeMessage(nak(ctx, decoded.answerable, ERROR_CODE.invalidRequest, data));
    } else {
      log.warn(`madcap: ${client}: dropped a malformed datagram of ${datagram.length} bytes: ${decoded.reason}`);
      return undefined;
    }

    // Same client, type, xid and lease: a retransmission, answered as the first time.
    const key = `${client}|${message.type}|${message.xid}|${message.options.leaseIdentifier?.toString('hex') ?? ''}`;
    this.#prune(now);
    const cached = this.#cache.get(key);
    if (cached) return cached.bytes;

    const response = respond(ctx, message);
    if ('ignore' in response) {
      log.info(`madcap: ${client}: ignored ${response.ignore}`);
      return undefined;
    }
    log.info(`madcap: ${client}: ${response.summary}`);
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
