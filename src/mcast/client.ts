/**
 * `McastAddressAllocation`: the client side of MADCAP, shaped like TAPI 3's
 * IMcastAddressAllocation (mdhcp.h): enumerate scopes, request, renew and release leases, and
 * rebuild a lease saved by an earlier run. Requests are retransmitted with exponential
 * back-off (RFC 2730 §2.3) under one xid, so the server answers a repeat from its response cache.
 *
 * With a known server every message goes to it by unicast, and a lease is asked for with a
 * REQUEST straight away (RFC 2730 Appendix A.5). Without one the client looks for a server by
 * multicast: DISCOVER to the MADCAP Server Multicast Address (§2.2.2), then the REQUEST naming
 * the server whose OFFER it takes, multicast too (§2.2.4); renewals and releases go to that
 * server by unicast.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { parseAddress, formatAddress, type Family } from './address.js';
import { decodeMessage, encodeMessage, ERROR_CODE, OPTION, type MadcapMessage, type MadcapOptions, type MessageType } from './codec.js';
import { LOCAL_SCOPE_SERVER_ADDRESS, matchScope } from './scopes.js';
import { MADCAP_PORT } from './server.js';

/** A scope as a server reports it (IMcastScope, MCAST_SCOPE_ENTRY). */
export interface McastScope {
  /** Scope ID: the scope's first address. */
  readonly scopeId: string;
  /** The server that reported it (its Server Identifier). */
  readonly serverId: string;
  /** The local interface: the wildcard (the system's choice). */
  readonly interfaceId: string;
  readonly lastAddress: string;
  readonly ttl: number;
  readonly description: string;
}

/** A lease (IMcastLeaseInfo). Plain data: JSON.stringify it to keep it for a later run. */
export interface McastLeaseInfo {
  /** The Lease Identifier as hex (IMcastLeaseInfo::get_RequestID); keep it to renew or release. */
  readonly requestId: string;
  readonly start: Date;
  readonly stop: Date;
  readonly addresses: readonly string[];
  /** The server's Server Identifier. */
  readonly serverAddress: string;
  /** The scope's TTL, for the `c=` line; 0 when unknown. */
  readonly ttl: number;
  /** Scope ID, when known. */
  readonly scopeId?: string;
}

/** Retransmission: wait `initialMs`, doubling up to `maxIntervalMs`, for `attempts` sends in all. */
export interface Retransmission {
  initialMs: number;
  maxIntervalMs: number;
  attempts: number;
}

/** RFC 2730 §2.3's recommendation: 4 s, doubling; sends at t, t+4, t+12 and t+28, gives up at t+60. */
export const RFC2730_RETRANSMISSION: Retransmission = { initialMs: 4000, maxIntervalMs: 32_000, attempts: 4 };

/** How to reach the server. */
export interface McastClientOptions {
  /**
   * A known server, `HOST`, `HOST:PORT` or `[IPV6]:PORT` (port 2535 by default): every message
   * goes to it by unicast (RFC 2730 Appendix A.5). Absent: servers are found by multicast.
   */
  server?: string;
  /**
   * Without `server`: the MADCAP Server Multicast Address to multicast to, `GROUP[:PORT]`;
   * by default the Local Scope's, 239.255.255.254, port 2535 (RFC 2730 §2.9–§2.10). IPv4 only.
   */
  multicast?: string;
  /** The local IPv4 address of the interface to multicast from; by default the system's choice. */
  multicastInterface?: string;
  /** Multicast TTL; by default 16, the Local Scope's (RFC 2730 §2.9). */
  multicastTtl?: number;
  /** Address family of the scopes and addresses asked for (COM clients: IPv4 only). Default ipv4. */
  family?: Family;
  retransmission?: Retransmission;
}

/** Why a MADCAP exchange failed. */
export class McastError extends Error {
  /** `timeout`: no answer; `nak`: the server refused, with `errorCode`; `usage`: a bad argument. */
  readonly kind: 'timeout' | 'nak' | 'usage';
  /** The RFC 2730 error code of a NAK. */
  readonly errorCode: number | undefined;

  constructor(kind: McastError['kind'], message: string, errorCode?: number) {
    super(message);
    this.name = 'McastError';
    this.kind = kind;
    this.errorCode = errorCode;
  }
}

const ERROR_TEXT: Readonly<Record<number, string>> = {
  [ERROR_CODE.validRequestCouldNotBeCompleted]: 'the request could not be completed (no addresses for that time?)',
  [ERROR_CODE.invalidRequest]: 'invalid request',
  [ERROR_CODE.excessiveClockSkew]: 'our clock differs too much from the server’s',
  [ERROR_CODE.leaseIdentifierNotRecognized]: 'the server knows no lease with that identifier',
  [ERROR_CODE.requiredFeatureNotSupported]: 'a required feature is not supported',
};

/** Reads `HOST`, `HOST:PORT` or `[V6]:PORT`. */
export function parseServer(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : isIP(text) === 6 ? [text, undefined] : (text.split(':') as [string, string | undefined]);
  const n = port === undefined ? MADCAP_PORT : Number(port);
  if (!host || !Number.isInteger(n) || n < 1 || n > 65535 || (port !== undefined && !/^\d+$/.test(port))) throw new McastError('usage', `'${text}' is not HOST[:PORT]`);
  return { host, port: n };
}

/** A new Lease Identifier: type 0 (random) and 16 random bytes, 17 bytes as MCAST_CLIENT_ID_LEN. */
export function newLeaseIdentifier(): Buffer {
  return Buffer.concat([Buffer.from([0]), randomBytes(16)]);
}

const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Every address of the ranges of an ACK. */
function expand(family: Family, ranges: readonly { first: string; last: string }[]): string[] {
  const out: string[] = [];
  for (const r of ranges) {
    const first = parseAddress(r.first)!.value;
    const last = parseAddress(r.last)!.value;
    for (let v = first; v <= last && out.length < 65_536; v += 1n) out.push(formatAddress(family, v));
  }
  return out;
}

/** Where a message goes: one server by unicast, or a MADCAP Server Multicast Address. */
interface Destination {
  host: string;
  port: number;
  multicast: boolean;
}

/** The Local Scope's maximum TTL a client assumes (RFC 2730 §2.9). */
const LOCAL_SCOPE_TTL = 16;

/** The TAPI-style multicast address allocation client. */
export class McastAddressAllocation {
  /** The known server, or the multicast group when there is none. */
  readonly #server: Destination;
  readonly #interface: string | undefined;
  readonly #ttl: number;
  readonly #family: Family;
  readonly #retransmission: Retransmission;
  #xid = randomInt(0, 0x7fffffff);
  #scopes: McastScope[] | undefined;

  constructor(options: McastClientOptions) {
    this.#family = options.family ?? 'ipv4';
    if (options.server !== undefined) {
      this.#server = { ...parseServer(options.server), multicast: false };
    } else {
      if (this.#family !== 'ipv4') throw new McastError('usage', 'name the MADCAP server for IPv6: servers are found by multicast over IPv4 only');
      const group = parseServer(options.multicast ?? LOCAL_SCOPE_SERVER_ADDRESS);
      if (parseAddress(group.host)?.family !== 'ipv4') throw new McastError('usage', `'${options.multicast}' is not an IPv4 multicast group`);
      this.#server = { ...group, multicast: true };
    }
    this.#interface = options.multicastInterface;
    this.#ttl = options.multicastTtl ?? LOCAL_SCOPE_TTL;
    this.#retransmission = options.retransmission ?? RFC2730_RETRANSMISSION;
  }

  /** The server's scopes of this client's family (GETINFO with the Multicast Scope List; the first server to answer, by multicast). */
  async enumerateScopes(): Promise<McastScope[]> {
    const ack = await this.#exchange('GETINFO', newLeaseIdentifier(), { optionRequestList: [OPTION.multicastScopeList, OPTION.currentTime, OPTION.featureList] }, this.#server);
    const serverId = ack.options.serverIdentifier?.address ?? this.#server.host;
    this.#scopes = (ack.options.multicastScopeList ?? []).map((s) => ({
      scopeId: s.id,
      serverId,
      interfaceId: this.#family === 'ipv4' ? '0.0.0.0' : '::',
      lastAddress: s.last,
      ttl: s.ttl,
      description: (s.names.find((n) => n.isDefault) ?? s.names[0])?.name ?? s.id,
    }));
    return this.#scopes;
  }

  /** A scope by Scope ID, an address in it, or its description (see {@link matchScope}). */
  async findScope(selector: string): Promise<McastScope> {
    const scopes = this.#scopes ?? (await this.enumerateScopes());
    const found = matchScope(
      scopes.map((s) => ({ id: s.scopeId, last: s.lastAddress, description: s.description, scope: s })),
      selector,
    );
    if (!found) throw new McastError('usage', `the server has no scope '${selector}'; it has: ${scopes.map((s) => `${s.scopeId} (${s.description})`).join(', ')}`);
    return found.scope;
  }

  /**
   * Leases `count` consecutive addresses in a scope from `start` to `stop`: REQUEST and ACK
   * from a known server, or DISCOVER, OFFER, REQUEST and ACK by multicast. The server may grant
   * a shorter lease; the result says what was granted.
   */
  async requestAddress(scope: McastScope | string, start: Date, stop: Date, count = 1): Promise<McastLeaseInfo> {
    if (stop.getTime() <= start.getTime()) throw new McastError('usage', 'the lease must stop after it starts');
    if (!Number.isInteger(count) || count < 1 || count > 0xffff) throw new McastError('usage', `cannot ask for ${count} addresses`);
    const s = typeof scope === 'string' ? await this.findScope(scope) : scope;
    const now = Date.now();
    const from = Math.max(start.getTime(), now);
    const options: MadcapOptions = {
      multicastScope: s.scopeId,
      leaseTime: Math.max(1, unixSeconds(stop.getTime() - from)),
      currentTime: unixSeconds(now),
    };
    // RFC 2730 §3.8: not sent when asking for one address.
    if (count > 1) options.addressesRequested = { minimum: count, desired: count };
    if (start.getTime() > now) options.startTime = unixSeconds(start.getTime());
    const leaseIdentifier = newLeaseIdentifier();
    if (!this.#server.multicast) return this.#leaseOf(await this.#exchange('REQUEST', leaseIdentifier, options, this.#server), leaseIdentifier, s.ttl, s.scopeId);
    const offer = await this.#exchange('DISCOVER', leaseIdentifier, options, this.#server);
    const serverIdentifier = offer.options.serverIdentifier;
    if (!serverIdentifier) throw new McastError('nak', 'the OFFER named no server (no Server Identifier)');
    const ack = await this.#exchange('REQUEST', leaseIdentifier, { ...options, serverIdentifier }, this.#server);
    return this.#leaseOf(ack, leaseIdentifier, s.ttl, s.scopeId);
  }

  /**
   * Extends a lease to `stop` (by default, its current length again from now). A lease that
   * has not started keeps its start: RENEW then carries Start Time, which otherwise means
   * "as soon as possible" (RFC 2730 §2.2.7).
   */
  async renewAddress(lease: McastLeaseInfo, stop?: Date): Promise<McastLeaseInfo> {
    const now = Date.now();
    const until = stop?.getTime() ?? now + (lease.stop.getTime() - lease.start.getTime());
    const from = Math.max(lease.start.getTime(), now);
    if (until <= from) throw new McastError('usage', 'the renewed lease must stop after it starts');
    const leaseIdentifier = this.#leaseIdentifier(lease);
    const options: MadcapOptions = { leaseTime: unixSeconds(until - from) };
    if (lease.start.getTime() > now) Object.assign(options, { startTime: unixSeconds(lease.start.getTime()), currentTime: unixSeconds(now) });
    const ack = await this.#exchange('RENEW', leaseIdentifier, options, this.#holder(lease));
    return this.#leaseOf(ack, leaseIdentifier, lease.ttl, lease.scopeId);
  }

  /** Gives a lease back. */
  async releaseAddress(lease: McastLeaseInfo): Promise<void> {
    await this.#exchange('RELEASE', this.#leaseIdentifier(lease), {}, this.#holder(lease));
  }

  /** The server holding a lease: the known one, or (found by multicast) the one that granted it, by unicast. */
  #holder(lease: McastLeaseInfo): Destination {
    return this.#server.multicast ? { host: lease.serverAddress, port: this.#server.port, multicast: false } : this.#server;
  }

  /**
   * A lease from what an earlier run kept (IMcastAddressAllocation::CreateLeaseInfo), for
   * {@link renewAddress} or {@link releaseAddress}. Accepts the JSON of a lease (dates as text).
   */
  createLeaseInfo(init: {
    start: Date | string;
    stop: Date | string;
    addresses: readonly string[];
    requestId: string;
    serverAddress: string;
    ttl?: number;
    scopeId?: string;
  }): McastLeaseInfo {
    const start = new Date(init.start);
    const stop = new Date(init.stop);
    if (Number.isNaN(start.getTime()) || Number.isNaN(stop.getTime())) throw new McastError('usage', 'the lease needs valid start and stop times');
    if (stop.getTime() < start.getTime()) throw new McastError('usage', 'the lease stops before it starts');
    if (!/^(?:[0-9a-f]{2})+$/i.test(init.requestId)) throw new McastError('usage', `'${init.requestId}' is not a request ID (hex)`);
    const bad = init.addresses.find((a) => parseAddress(a)?.family !== this.#family);
    if (bad !== undefined) throw new McastError('usage', `'${bad}' is not an ${this.#family} address`);
    return {
      requestId: init.requestId.toLowerCase(),
      start,
      stop,
      addresses: init.addresses.map((a) => formatAddress(this.#family, parseAddress(a)!.value)),
      serverAddress: init.serverAddress,
      ttl: init.ttl ?? 0,
      ...(init.scopeId === undefined ? {} : { scopeId: init.scopeId }),
    };
  }

  #leaseIdentifier(lease: McastLeaseInfo): Buffer {
    if (!/^(?:[0-9a-f]{2})+$/i.test(lease.requestId)) throw new McastError('usage', `'${lease.requestId}' is not a request ID (hex)`);
    return Buffer.from(lease.requestId, 'hex');
  }

  /** A lease from an ACK; times move to our clock by the difference of the server's Current Time. */
  #leaseOf(ack: MadcapMessage, leaseIdentifier: Buffer, ttl: number, scopeId: string | undefined): McastLeaseInfo {
    const o = ack.options;
    const skew = o.currentTime === undefined ? 0 : o.currentTime * 1000 - Date.now();
    const start = o.startTime === undefined ? Date.now() : o.startTime * 1000 - skew;
    const scope = o.multicastScope ?? scopeId;
    return {
      requestId: leaseIdentifier.toString('hex'),
      start: new Date(start),
      stop: new Date(start + (o.leaseTime ?? 0) * 1000),
      addresses: expand(ack.family, o.addressRanges ?? []),
      serverAddress: o.serverIdentifier?.address ?? this.#server.host,
      ttl,
      ...(scope === undefined ? {} : { scopeId: scope }),
    };
  }

  /**
   * Sends a request and waits for its answer (OFFER for DISCOVER, ACK otherwise, or NAK) with
   * the same xid and Lease Identifier, retransmitting the same bytes with back-off. Sent to a
   * multicast group, the first answer wins.
   *
   * @throws {@link McastError} on NAK or when every attempt timed out.
   */
  #exchange(type: MessageType, leaseIdentifier: Buffer, options: MadcapOptions, to: Destination): Promise<MadcapMessage> {
    this.#xid = (this.#xid + 1) >>> 0;
    const xid = this.#xid;
    const request = encodeMessage({ type, family: this.#family, xid, options: { ...options, leaseIdentifier } });
    const expected: MessageType = type === 'DISCOVER' ? 'OFFER' : 'ACK';
    const { host, port } = to;
    const what = to.multicast ? `MADCAP servers at ${host}:${port} (multicast)` : `the MADCAP server ${host}:${port}`;
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const r = this.#retransmission;
    return new Promise<MadcapMessage>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let sent = 0;
      const finish = (error: Error | undefined, message?: MadcapMessage): void => {
        clearTimeout(timer);
        socket.close();
        if (error) reject(error);
        else resolve(message!);
      };
      const send = (): void => {
        if (sent === r.attempts) {
          finish(new McastError('timeout', `no answer from ${what} to ${type} after ${sent} attempts`));
          return;
        }
        const wait = Math.min(r.initialMs * 2 ** sent, r.maxIntervalMs);
        sent += 1;
        socket.send(request, port, host);
        timer = setTimeout(send, wait);
      };
      socket.on('error', (error) => finish(new McastError('timeout', `cannot reach ${what}: ${error.message}`)));
      socket.on('message', (datagram) => {
        // Anything that is not the answer to this request (late, foreign, malformed) is ignored.
        const decoded = decodeMessage(datagram);
        if (!decoded.ok) return;
        const m = decoded.message;
        if (m.xid !== xid || !m.options.leaseIdentifier?.equals(leaseIdentifier)) return;
        if (m.type === 'NAK') {
          const code = m.options.error?.code;
          finish(new McastError('nak', `the MADCAP server refused the ${type}: ${code === undefined ? 'no reason given' : (ERROR_TEXT[code] ?? `error ${code}`)}`, code));
        } else if (m.type === expected) {
          finish(undefined, m);
        }
      });
      socket.bind(0, () => {
        if (to.multicast) {
          try {
            socket.setMulticastTTL(this.#ttl);
            if (this.#interface !== undefined) socket.setMulticastInterface(this.#interface);
          } catch (error) {
            finish(new McastError('usage', `cannot multicast from ${this.#interface ?? 'the default interface'}: ${(error as Error).message}`));
            return;
          }
        }
        send();
      });
    });
  }
}
