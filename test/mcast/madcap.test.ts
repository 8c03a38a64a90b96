/**
 * MADCAP over real UDP on 127.0.0.1: the client and the server, retransmission, exhaustion,
 * leases that outlive a server restart, idempotent repeats, the Error option's data and the
 * rules of RFC 2730 on the wire, and datagrams that try to break the server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { McastAddressAllocation, McastError, type McastLeaseInfo } from '../../src/mcast/client.js';
import { decodeMessage, encodeMessage, ERROR_CODE, FEATURE, OPTION, type MadcapMessage } from '../../src/mcast/codec.js';
import { DEFAULT_LEASE_LIMITS } from '../../src/mcast/policy.js';
import { allocateForConference } from '../../src/mcast/conference.js';
import { leaseTag } from '../../src/mcast/lease-tag.js';
import { DEFAULT_SCOPES, parseScopeSpec } from '../../src/mcast/scopes.js';
import { FAST, lossyRelay, rawPeer, startMadcap, type TestMadcap } from './helpers.js';

const LAB = parseScopeSpec('239.254.10.0/23,8,Lab');
const HOUR = 3_600_000;
const LEASE = Buffer.from('00112233445566778899aabbccddeeff00', 'hex');

let madcap: TestMadcap;
beforeEach(async () => {
  madcap = await startMadcap([DEFAULT_SCOPES[0]!, LAB, DEFAULT_SCOPES[4]!]);
});
afterEach(async () => {
  await madcap.stop();
});

const client = (family: 'ipv4' | 'ipv6' = 'ipv4'): McastAddressAllocation => new McastAddressAllocation({ server: madcap.address, family, retransmission: FAST });

describe('client and server', () => {
  it('enumerates the scopes of a family (GETINFO)', async () => {
    const scopes = await client().enumerateScopes();
    expect(scopes).toEqual([
      { scopeId: '239.255.0.0', serverId: '127.0.0.1', interfaceId: '0.0.0.0', lastAddress: '239.255.255.255', ttl: 16, description: 'Local Scope' },
      { scopeId: '239.254.10.0', serverId: '127.0.0.1', interfaceId: '0.0.0.0', lastAddress: '239.254.11.255', ttl: 8, description: 'Lab' },
    ]);
    expect((await client('ipv6').enumerateScopes()).map((s) => s.scopeId)).toEqual(['ff15::']);
  });

  it('requests, renews and releases a lease (DISCOVER, OFFER, REQUEST, ACK, RENEW, RELEASE)', async () => {
    const c = client();
    const start = new Date(Date.now() + HOUR);
    const stop = new Date(start.getTime() + HOUR);
    // Lease times travel as seconds from the sender's now and come back the same way: the
    // times read back are exact to within a second plus however long the exchange took.
    const timed = async <T>(exchange: Promise<T>): Promise<{ value: T; slack: number }> => {
      const sent = Date.now();
      const value = await exchange;
      return { value, slack: 1000 + (Date.now() - sent) };
    };
    const { value: lease, slack } = await timed(c.requestAddress('lab', start, stop, 2));
    expect(lease).toMatchObject({ addresses: ['239.254.10.0', '239.254.10.1'], serverAddress: '127.0.0.1', ttl: 8, scopeId: '239.254.10.0' });
    expect(lease.requestId).toMatch(/^00[0-9a-f]{32}$/);
    expect(Math.abs(lease.start.getTime() - start.getTime())).toBeLessThan(slack);
    expect(Math.abs(lease.stop.getTime() - stop.getTime())).toBeLessThan(slack);
    expect(madcap.allocator.lease(lease.requestId)?.count).toBe(2);

    const other = await c.requestAddress('239.254.10.0', start, stop);
    expect(other.addresses).toEqual(['239.254.10.2']);

    const later = new Date(stop.getTime() + HOUR);
    const { value: renewed, slack: renewSlack } = await timed(c.renewAddress(lease, later));
    expect(Math.abs(renewed.stop.getTime() - later.getTime())).toBeLessThan(renewSlack);
    expect(renewed.addresses).toEqual(lease.addresses);

    await c.releaseAddress(lease);
    expect(madcap.allocator.lease(lease.requestId)).toBeUndefined();
    await expect(c.releaseAddress(lease)).rejects.toMatchObject({ kind: 'nak', errorCode: ERROR_CODE.leaseIdentifierNotRecognized });
    await expect(c.renewAddress(lease)).rejects.toMatchObject({ kind: 'nak', errorCode: ERROR_CODE.leaseIdentifierNotRecognized });
    expect(madcap.log.lines.some((l) => /REQUEST [0-9a-f]+: ACK leased 239\.254\.10\.0\.\.239\.254\.10\.1/.test(l))).toBe(true);
  });

  it('exhausts a small scope and says so (NAK: valid request could not be completed)', async () => {
    const c = client();
    const start = new Date();
    const stop = new Date(Date.now() + HOUR);
    const big = await c.requestAddress('lab', start, stop, 200);
    const rest = await c.requestAddress('lab', start, stop, 56);
    expect([...big.addresses, ...rest.addresses]).toHaveLength(256);
    const error = await c.requestAddress('lab', start, stop).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McastError);
    expect(error).toMatchObject({ kind: 'nak', errorCode: ERROR_CODE.validRequestCouldNotBeCompleted });
    await c.releaseAddress(rest);
    expect((await c.requestAddress('lab', start, stop)).addresses).toEqual([rest.addresses[0]]);
  });

  it('renews and releases across a server restart, from a lease saved as JSON', async () => {
    const first = client();
    const lease = await first.requestAddress('local', new Date(), new Date(Date.now() + HOUR));
    const saved = JSON.stringify(lease);
    await madcap.restart();
    const next = client();
    const restored: McastLeaseInfo = next.createLeaseInfo(JSON.parse(saved) as Parameters<McastAddressAllocation['createLeaseInfo']>[0]);
    expect(restored.addresses).toEqual(lease.addresses);
    const renewed = await next.renewAddress(restored, new Date(Date.now() + 3 * HOUR));
    expect(renewed.addresses).toEqual(lease.addresses);
    await madcap.restart();
    await client().releaseAddress(renewed);
    expect(madcap.allocator.lease(lease.requestId)).toBeUndefined();
  });

  it('retransmits when datagrams are lost, and the server answers a repeat once', async () => {
    const relay = await lossyRelay(madcap.server.address.port, 2);
    try {
      const c = new McastAddressAllocation({ server: `127.0.0.1:${relay.port}`, retransmission: FAST });
      const lease = await c.requestAddress('local', new Date(), new Date(Date.now() + HOUR));
      expect(relay.dropped()).toBe(2);
      expect(madcap.allocator.leases().map((l) => l.leaseId)).toEqual([lease.requestId]);
    } finally {
      relay.close();
    }
  });

  it('gives up after the last retransmission when nobody answers', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const c = new McastAddressAllocation({ server: `127.0.0.1:${silent.address().port}`, retransmission: { initialMs: 50, maxIntervalMs: 100, attempts: 3 } });
      const started = Date.now();
      await expect(c.enumerateScopes()).rejects.toMatchObject({ kind: 'timeout', message: expect.stringMatching(/after 3 attempts/) });
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    } finally {
      silent.close();
    }
  });

  it('leases an address for a conference, with the scope TTL for the c= line', async () => {
    const start = new Date(Date.now() + HOUR);
    const result = await allocateForConference({ server: madcap.address, scope: 'local', start, stop: new Date(start.getTime() + HOUR), count: 2, retransmission: FAST });
    expect(result).toMatchObject({ address: '239.255.0.0', count: 2, ttl: 16, connection: { netType: 'IN', addrType: 'IP4', address: '239.255.0.0', ttl: 16, count: 2 } });
    expect(result.attribute).toEqual({ name: 'x-rendezvous-lease', value: leaseTag(result.lease.requestId) });
    expect(result.attribute.value).toMatch(/^[0-9a-f]{16}$/);
    const v6 = await allocateForConference({ server: madcap.address, scope: 'ff15::', start, stop: new Date(start.getTime() + HOUR), retransmission: FAST });
    expect(v6.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: 'ff15::8000:0' });
    // A description is looked for among the IPv4 scopes, then the IPv6 ones.
    const byName = await allocateForConference({ server: madcap.address, scope: 'ipv6 site', start, stop: new Date(start.getTime() + HOUR), retransmission: FAST });
    expect(byName.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: 'ff15::8000:1' });
    await expect(allocateForConference({ server: madcap.address, scope: 'nowhere', start, stop: new Date(start.getTime() + HOUR), retransmission: FAST })).rejects.toMatchObject({ kind: 'usage' });
  });
});

describe('server rules', () => {
  const request = (extra: Partial<MadcapMessage['options']> = {}, type: MadcapMessage['type'] = 'REQUEST', xid = 77): MadcapMessage => ({
    type,
    family: 'ipv4',
    xid,
    options: { leaseIdentifier: LEASE, multicastScope: '239.254.10.0', leaseTime: 600, ...extra },
  });

  it('answers a repeated request (same lease identifier and xid) with the same bytes, and leases once', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      peer.send(request());
      const first = await peer.next();
      peer.send(request());
      const second = await peer.next();
      expect(second).toEqual(first);
      expect(madcap.allocator.leases()).toHaveLength(1);
      // A new xid under a lease identifier that holds a lease is a different request: refused.
      peer.send(request({}, 'REQUEST', 78));
      expect((await peer.reply()).options.error?.code).toBe(ERROR_CODE.invalidRequest);
      // RENEW repeated keeps its first answer too.
      peer.send(request({ leaseTime: 1200 }, 'RENEW', 79));
      const renew = await peer.next();
      peer.send(request({ leaseTime: 1200 }, 'RENEW', 79));
      expect(await peer.next()).toEqual(renew);
    } finally {
      peer.close();
    }
  });

  it('refuses unknown required features with the Required Feature Not Supported NAK, naming them', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      peer.send(request({ featureList: { supported: [], requested: [], required: [FEATURE.serverMobility, 99] } }));
      const nak = await peer.reply();
      expect(nak.type).toBe('NAK');
      expect(nak.options.error).toEqual({ code: ERROR_CODE.requiredFeatureNotSupported, data: Buffer.from('00000063', 'hex') });
      expect(nak.options.serverIdentifier).toEqual({ family: 'ipv4', address: '127.0.0.1' });
      expect(nak.options.leaseIdentifier).toEqual(LEASE);
      // Shared Lease Identifier is supported.
      peer.send(request({ featureList: { supported: [], requested: [], required: [FEATURE.sharedLeaseIdentifier] } }, 'REQUEST', 80));
      expect((await peer.reply()).type).toBe('ACK');
    } finally {
      peer.close();
    }
  });

  it('checks times: Start Time needs Current Time, and excessive clock skew is refused', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      const now = Math.floor(Date.now() / 1000);
      peer.send(request({ startTime: now + 3600 }));
      expect((await peer.reply()).options.error).toEqual({ code: ERROR_CODE.invalidRequest, data: Buffer.from([0, OPTION.currentTime]) });
      peer.send(request({ startTime: now + 3600, currentTime: now - 7200 }, 'REQUEST', 81));
      expect((await peer.reply()).options.error?.code).toBe(ERROR_CODE.excessiveClockSkew);
      peer.send(request({ startTime: now + 3600, currentTime: now - 5 }, 'REQUEST', 82));
      const ack = await peer.reply();
      // The 5 s the client is behind are added to its start time.
      expect(ack.options).toMatchObject({ startTime: now + 3605, leaseTime: 600 });
    } finally {
      peer.close();
    }
  });

  it('stays silent for messages meant for another server or sent by servers', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      peer.send(request({ serverIdentifier: { family: 'ipv4', address: '10.9.9.9' } }));
      peer.send({ type: 'ACK', family: 'ipv4', xid: 1, options: { leaseIdentifier: LEASE } });
      expect(await peer.next(300)).toBeUndefined();
      expect(madcap.log.lines.filter((l) => l.includes('ignored'))).toHaveLength(2);
    } finally {
      peer.close();
    }
  });

  it('GETINFO needs an Option Request List', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      peer.send({ type: 'GETINFO', family: 'ipv4', xid: 5, options: { leaseIdentifier: LEASE } });
      expect((await peer.reply()).options.error?.code).toBe(ERROR_CODE.invalidRequest);
      peer.send({ type: 'GETINFO', family: 'ipv4', xid: 6, options: { leaseIdentifier: LEASE, optionRequestList: [OPTION.currentTime, OPTION.featureList] } });
      const ack = await peer.reply();
      expect(ack.options.featureList).toEqual({ supported: [FEATURE.sharedLeaseIdentifier], requested: [], required: [] });
      expect(Math.abs(ack.options.currentTime! - Date.now() / 1000)).toBeLessThan(5);
      expect(ack.options.multicastScopeList).toBeUndefined();
    } finally {
      peer.close();
    }
  });

  it('survives malformed datagrams: drops them with a log line and keeps answering', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      const valid = encodeMessage(request());
      const garbage = [
        Buffer.alloc(0),
        Buffer.from('hello'),
        Buffer.from('00030001000000010000', 'hex'), // 10 bytes
        Buffer.concat([Buffer.from([1]), valid.subarray(1)]), // version 1
        valid.subarray(0, valid.length - 4), // no End
        Buffer.concat([valid.subarray(0, 8), Buffer.from('0003ffff00', 'hex')]), // option past the end
        Buffer.alloc(65_000, 0xff),
      ];
      for (const g of garbage) peer.send(g);
      expect(await peer.next(300)).toBeUndefined();
      const dropped = madcap.log.lines.filter((l) => /dropped a malformed datagram/.test(l));
      expect(dropped).toHaveLength(garbage.length);
      expect(dropped[3]).toMatch(/version 1, not 0/);

      // Well-framed with a Lease Identifier but a bad option: answered with Invalid Request.
      const badLength = Buffer.concat([valid.subarray(0, valid.length - 4), Buffer.from('00010002ffff00000000', 'hex')]);
      peer.send(badLength);
      const nak = await peer.reply();
      expect(nak.options.error).toEqual({ code: ERROR_CODE.invalidRequest, data: Buffer.from([0, OPTION.leaseTime]) });

      // And the server still works.
      const lease = await client().requestAddress('lab', new Date(), new Date(Date.now() + HOUR));
      expect(lease.addresses).toHaveLength(1);
    } finally {
      peer.close();
    }
  });
});

/** The Error option of a NAK as it is on the wire: code, length and value, in hex. */
function errorOptionHex(datagram: Buffer | undefined): string {
  if (!datagram) throw new Error('no reply');
  let at = 8;
  while (at + 4 <= datagram.length) {
    const code = datagram.readUInt16BE(at);
    const length = datagram.readUInt16BE(at + 2);
    if (code === OPTION.error) return datagram.subarray(at, at + 4 + length).toString('hex');
    at += 4 + length;
  }
  throw new Error(`no Error option in ${datagram.toString('hex')}`);
}

describe('RFC 2730 on the wire', () => {
  const SCOPE = '239.254.10.0';
  const message = (type: MadcapMessage['type'], xid: number, extra: Partial<MadcapMessage['options']> = {}): MadcapMessage => ({
    type,
    family: 'ipv4',
    xid,
    options: { leaseIdentifier: LEASE, ...extra },
  });

  it("sends each error's data as RFC 2730 §3.17 says", async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      const now = Math.floor(Date.now() / 1000);
      // Invalid Request names the offending option (§3.17.2): no Multicast Scope (4).
      peer.send(message('REQUEST', 1, { leaseTime: 600 }));
      expect(errorOptionHex(await peer.next())).toBe('0010000400010004');
      // An unknown message type: Invalid Request, no option to blame (§2.2, §3.17.2).
      const unknown = encodeMessage(message('REQUEST', 2));
      unknown[1] = 42;
      peer.send(unknown);
      const nak = await peer.next();
      expect(nak && decodeMessage(nak)).toMatchObject({ ok: true, message: { type: 'NAK', xid: 2 } });
      expect(errorOptionHex(nak)).toBe('001000040001ffff');
      // Valid Request Could Not Be Completed, no option to blame (§3.17.1): a start beyond the booking horizon.
      peer.send(message('REQUEST', 3, { multicastScope: SCOPE, startTime: now + 400 * 86_400, currentTime: now }));
      expect(errorOptionHex(await peer.next())).toBe('001000040000ffff');
      // Excessive Clock Skew carries our time in 4 octets (§3.17.3).
      peer.send(message('REQUEST', 4, { multicastScope: SCOPE, startTime: now + 3600, currentTime: now - 7200 }));
      const skew = errorOptionHex(await peer.next());
      expect(skew.slice(0, 12)).toBe('001000060002');
      expect(Math.abs(Number.parseInt(skew.slice(12), 16) - Date.now() / 1000)).toBeLessThan(5);
      // Lease Identifier Not Recognized has no data (§3.17.4).
      peer.send(message('RELEASE', 5));
      expect(errorOptionHex(await peer.next())).toBe('001000020003');
      // Invalid Request naming the Lease Identifier (3) that already holds a lease.
      peer.send(message('REQUEST', 6, { multicastScope: SCOPE }));
      expect((await peer.reply()).type).toBe('ACK');
      peer.send(message('REQUEST', 7, { multicastScope: SCOPE }));
      expect(errorOptionHex(await peer.next())).toBe('0010000400010003');
    } finally {
      peer.close();
    }
  });

  it('grants a REQUEST written by hand in RFC form, with a List of Address Ranges, and answers in that form', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      const now = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
      peer.send(
        Buffer.from(
          [
            '00 03 0001 00000101', // REQUEST, IPv4, xid 257
            '0001 0004 00000258', // Lease Time 600 s
            `0003 0011 ${LEASE.toString('hex')}`, // Lease Identifier
            '0004 0004 effe0a00', // Multicast Scope 239.254.10.0
            '000a 0006 effe0a10 0002', // List of Address Ranges: 239.254.10.16, block size 2
            `000b 0004 ${now}`, // Current Time
            '0000 0000',
          ]
            .join('')
            .replace(/\s+/g, ''),
          'hex',
        ),
      );
      const ack = await peer.next();
      const m = ack && decodeMessage(ack);
      expect(m).toMatchObject({ ok: true, message: { type: 'ACK', xid: 257 } });
      // The ACK's range is one 6-byte entry: start address, block size 1.
      expect(ack!.toString('hex')).toMatch(/000a0006effe0a..0001/);
    } finally {
      peer.close();
    }
  });

  it('echoes a Feature List in its reply when the client sent one (§3.13)', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      peer.send(message('REQUEST', 10, { multicastScope: SCOPE, featureList: { supported: [FEATURE.sharedLeaseIdentifier], requested: [], required: [] } }));
      expect((await peer.reply()).options.featureList).toEqual({ supported: [FEATURE.sharedLeaseIdentifier], requested: [], required: [] });
      peer.send(message('RENEW', 11, { featureList: { supported: [], requested: [FEATURE.retryAfter], required: [] } }));
      expect((await peer.reply()).options).toMatchObject({ featureList: { supported: [FEATURE.sharedLeaseIdentifier] } });
      peer.send(message('RELEASE', 12, { featureList: { supported: [], requested: [], required: [] } }));
      expect((await peer.reply()).options.featureList).toBeDefined();
      // A NAK too.
      peer.send(message('RELEASE', 13, { featureList: { supported: [], requested: [], required: [] } }));
      const nak = await peer.reply();
      expect(nak.type).toBe('NAK');
      expect(nak.options.featureList).toBeDefined();
      // And none when the client sent none.
      peer.send(message('GETINFO', 14, { optionRequestList: [OPTION.currentTime] }));
      expect((await peer.reply()).options.featureList).toBeUndefined();
    } finally {
      peer.close();
    }
  });

  it('renews without Lease Time or Start Time for the maximum available, as soon as possible (§2.2.7)', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    try {
      const now = Math.floor(Date.now() / 1000);
      peer.send(message('REQUEST', 20, { multicastScope: SCOPE, leaseTime: 600, startTime: now + 86_400, currentTime: now }));
      expect((await peer.reply()).options.startTime).toBe(now + 86_400);
      peer.send(message('RENEW', 21));
      const ack = await peer.reply();
      expect(ack.type).toBe('ACK');
      expect(Math.abs(ack.options.startTime! - Date.now() / 1000)).toBeLessThan(5);
      expect(ack.options.leaseTime).toBe(DEFAULT_LEASE_LIMITS.maximumDuration / 1000);
    } finally {
      peer.close();
    }
  });

  it('accepts the clock skew RFC 2730 §2.12 recommends by default (30 minutes), and a configured one instead', async () => {
    const peer = await rawPeer(madcap.server.address.port);
    const strict = await startMadcap([LAB], { maxClockSkew: 60 });
    const strictPeer = await rawPeer(strict.server.address.port);
    try {
      const now = Math.floor(Date.now() / 1000);
      peer.send(message('REQUEST', 30, { multicastScope: SCOPE, startTime: now + 3600, currentTime: now - 1200 }));
      expect((await peer.reply()).type).toBe('ACK');
      peer.send(message('REQUEST', 31, { multicastScope: SCOPE, leaseIdentifier: Buffer.from('01ff', 'hex'), startTime: now + 3600, currentTime: now - 1900 }));
      expect((await peer.reply()).options.error?.code).toBe(ERROR_CODE.excessiveClockSkew);
      strictPeer.send(message('REQUEST', 32, { multicastScope: SCOPE, startTime: now + 3600, currentTime: now - 120 }));
      expect((await strictPeer.reply()).options.error?.code).toBe(ERROR_CODE.excessiveClockSkew);
    } finally {
      peer.close();
      strictPeer.close();
      await strict.stop();
    }
  });

  it('sends Number of Addresses Requested only when asking for more than one (§3.8), and no DISCOVER to a known server (Appendix A.5)', async () => {
    const listener = createSocket('udp4');
    const heard: MadcapMessage[] = [];
    listener.on('message', (b) => {
      const d = decodeMessage(b);
      if (d.ok) heard.push(d.message);
    });
    await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', resolve));
    try {
      const c = new McastAddressAllocation({ server: `127.0.0.1:${listener.address().port}`, retransmission: { initialMs: 30, maxIntervalMs: 30, attempts: 1 } });
      const scope = { scopeId: SCOPE, serverId: '127.0.0.1', interfaceId: '0.0.0.0', lastAddress: '239.254.11.255', ttl: 8, description: 'Lab' };
      const stop = new Date(Date.now() + HOUR);
      await expect(c.requestAddress(scope, new Date(), stop)).rejects.toMatchObject({ kind: 'timeout' });
      await expect(c.requestAddress(scope, new Date(), stop, 3)).rejects.toMatchObject({ kind: 'timeout' });
      expect(heard.map((m) => m.type)).toEqual(['REQUEST', 'REQUEST']);
      expect(heard[0]!.options.addressesRequested).toBeUndefined();
      expect(heard[1]!.options.addressesRequested).toEqual({ minimum: 3, desired: 3 });
    } finally {
      listener.close();
    }
  });
});
