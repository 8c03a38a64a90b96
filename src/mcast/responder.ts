/**
 * What a MADCAP server answers (RFC 2730 §2.2 and its subsections): one decoded message in,
 * one reply or a reason to stay silent out. The allocator does the work; no sockets here, so
 * every rule is tested without the network.
 */
import { formatAddress, type Family } from './address.js';
import { leaseAddresses, type AllocationResult, type Allocator, type Lease } from './allocator.js';
import { clockSkewData, ERROR_CODE, FEATURE, offendingOptionData, OPTION, type MadcapMessage, type MadcapOptions } from './codec.js';
import type { TimeRequest } from './policy.js';

/** Features this server implements: any holder of a lease identifier may renew or release it. */
export const SUPPORTED_FEATURES: readonly number[] = [FEATURE.sharedLeaseIdentifier];

/** RFC 2730 §2.12: the allowed clock skew MUST be configurable; 30 minutes is RECOMMENDED. */
export const DEFAULT_MAX_CLOCK_SKEW = 1800;

/** What the responder needs besides the allocator. */
export interface ResponderContext {
  readonly allocator: Allocator;
  /** This server's address, sent as the Server Identifier (RFC 2730 §3.3). */
  readonly serverId: { family: Family; address: string };
  /** Largest difference between the client's Current Time and ours that is accepted, seconds (RFC 2730 §2.12). */
  readonly maxClockSkew: number;
  /** Who sent the message (address:port), recorded with leases. */
  readonly client: string;
  /** ms since the Unix epoch. */
  now(): number;
}

/** A reply to send, with a line for the log; or silence, with the reason. */
export type Response = { reply: MadcapMessage; summary: string } | { ignore: string };

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** What a reply needs of the message it answers. */
export interface Answered {
  family: Family;
  xid: number;
  leaseIdentifier: Buffer;
  /** The message had a Feature List, so the reply carries ours (RFC 2730 §3.13). */
  featureList?: boolean;
}

/** What an error names besides its code: the offending option (codes 0 and 1), the features missing (code 4). */
export interface ErrorDetail {
  option?: number;
  features?: readonly number[];
}

/**
 * The reply skeleton (RFC 2730 §2.2): same family and xid, Server Identifier and Lease
 * Identifier, and our Feature List when the client sent one (§3.13: the server MUST then).
 */
function reply(ctx: ResponderContext, request: Answered, type: 'OFFER' | 'ACK' | 'NAK', options: MadcapOptions): MadcapMessage {
  const features = request.featureList ? { featureList: { supported: [...SUPPORTED_FEATURES], requested: [], required: [] } } : {};
  return { type, family: request.family, xid: request.xid, options: { ...options, ...features, serverIdentifier: ctx.serverId, leaseIdentifier: request.leaseIdentifier } };
}

const codes = (list: readonly number[]): Buffer => Buffer.concat(list.map((c) => Buffer.from([c >> 8, c & 0xff])));

/**
 * The data of an Error option (RFC 2730 §3.17): the offending option's code, or 0xFFFF, for
 * Valid Request Could Not Be Completed and Invalid Request (§3.17.1–§3.17.2); our current time
 * for Excessive Clock Skew (§3.17.3); the features we lack for Required Feature Not Supported
 * (§3.17.5); nothing for Lease Identifier Not Recognized (§3.17.4).
 */
function errorData(ctx: ResponderContext, code: number, detail: ErrorDetail): Buffer {
  switch (code) {
    case ERROR_CODE.validRequestCouldNotBeCompleted:
    case ERROR_CODE.invalidRequest:
      return offendingOptionData(detail.option);
    case ERROR_CODE.excessiveClockSkew:
      return clockSkewData(seconds(ctx.now()));
    case ERROR_CODE.requiredFeatureNotSupported:
      return codes(detail.features ?? []);
    default:
      return Buffer.alloc(0);
  }
}

/** A NAK with an Error option and the data its code calls for. */
export function nak(ctx: ResponderContext, request: Answered, code: number, detail: ErrorDetail = {}): MadcapMessage {
  return reply(ctx, request, 'NAK', { error: { code, data: errorData(ctx, code, detail) } });
}

const ERROR_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ERROR_CODE).map(([k, v]) => [v, k]));

/** The options describing a lease in an OFFER or ACK. */
function leaseOptions(ctx: ResponderContext, lease: Lease): MadcapOptions {
  return {
    leaseTime: seconds(lease.end - lease.start),
    multicastScope: lease.scope.id,
    addressRanges: [{ first: lease.first, last: lease.last }],
    startTime: seconds(lease.start),
    currentTime: seconds(ctx.now()),
  };
}

/**
 * The client's time options on our clock. Start Time and Maximum Start Time need Current Time
 * (RFC 2730 §3.12), whose difference from ours is the skew corrected for (§2.12).
 */
function timeRequest(ctx: ResponderContext, o: MadcapOptions): TimeRequest | { error: number; option?: number } {
  const absolute = o.startTime !== undefined || o.maximumStartTime !== undefined;
  if (absolute && o.currentTime === undefined) return { error: ERROR_CODE.invalidRequest, option: OPTION.currentTime };
  const skew = o.currentTime === undefined ? 0 : seconds(ctx.now()) - o.currentTime;
  if (Math.abs(skew) > ctx.maxClockSkew) return { error: ERROR_CODE.excessiveClockSkew };
  const t: TimeRequest = {};
  if (o.startTime !== undefined) t.start = (o.startTime + skew) * 1000;
  if (o.maximumStartTime !== undefined) t.maximumStart = (o.maximumStartTime + skew) * 1000;
  if (o.leaseTime !== undefined) t.duration = o.leaseTime * 1000;
  if (o.minimumLeaseTime !== undefined) t.minimumDuration = o.minimumLeaseTime * 1000;
  return t;
}

const describe = (lease: Lease): string => `${lease.first}${lease.count > 1 ? `..${lease.last}` : ''} (${lease.scope.id}) until ${new Date(lease.end).toISOString()}`;

/** Answers one message. */
export function respond(ctx: ResponderContext, m: MadcapMessage): Response {
  const o = m.options;
  if (m.type === 'OFFER' || m.type === 'ACK' || m.type === 'NAK') return { ignore: `a ${m.type}, which only servers send` };
  const leaseIdentifier = o.leaseIdentifier;
  if (!leaseIdentifier) return { ignore: `${m.type} without a Lease Identifier (RFC 2730 §3.4 requires one in every message)` };
  const request: Answered = { family: m.family, xid: m.xid, leaseIdentifier, featureList: o.featureList !== undefined };
  const leaseId = leaseIdentifier.toString('hex');
  const refuse = (code: number, why: string, detail?: ErrorDetail): Response => ({ reply: nak(ctx, request, code, detail), summary: `${m.type} ${leaseId}: NAK ${ERROR_NAMES[code]} (${why})` });

  // A message naming another server's Server Identifier is that server's business: a client
  // multicasts its REQUEST naming the server whose OFFER it chose (RFC 2730 §2.2.4).
  if (o.serverIdentifier && (o.serverIdentifier.address !== ctx.serverId.address || o.serverIdentifier.family !== ctx.serverId.family)) {
    return { ignore: `${m.type} for server ${o.serverIdentifier.address}` };
  }
  const unsupported = (o.featureList?.required ?? []).filter((f) => !SUPPORTED_FEATURES.includes(f));
  if (unsupported.length > 0) return refuse(ERROR_CODE.requiredFeatureNotSupported, `requires features ${unsupported.join(', ')}`, { features: unsupported });

  const time = timeRequest(ctx, o);
  if ('error' in time) {
    return refuse(time.error, time.error === ERROR_CODE.excessiveClockSkew ? 'clock skew' : 'Start Time without Current Time', time.option === undefined ? {} : { option: time.option });
  }
  const granted = (type: 'OFFER' | 'ACK', result: AllocationResult, verb: string): Response => {
    if (result.ok) return { reply: reply(ctx, request, type, leaseOptions(ctx, result.lease)), summary: `${m.type} ${leaseId}: ${type} ${verb} ${describe(result.lease)}` };
    // A request the protocol allows but policy or a full scope cannot grant is valid but not completed.
    const code =
      result.failure === 'unknownLease'
        ? ERROR_CODE.leaseIdentifierNotRecognized
        : result.failure === 'unavailable' || result.failure === 'refused'
          ? ERROR_CODE.validRequestCouldNotBeCompleted
          : ERROR_CODE.invalidRequest;
    const option = result.failure === 'unknownScope' ? OPTION.multicastScope : result.failure === 'leaseExists' ? OPTION.leaseIdentifier : undefined;
    return refuse(code, result.message, option === undefined ? {} : { option });
  };

  switch (m.type) {
    case 'DISCOVER':
    case 'REQUEST': {
      if (o.multicastScope === undefined) return refuse(ERROR_CODE.invalidRequest, 'no Multicast Scope', { option: OPTION.multicastScope });
      const allocation = {
        ...time,
        leaseId,
        scopeId: o.multicastScope,
        minimum: o.addressesRequested?.minimum ?? 1,
        desired: o.addressesRequested?.desired ?? 1,
        client: ctx.client,
      };
      return m.type === 'DISCOVER' ? granted('OFFER', ctx.allocator.offer(allocation), 'could lease') : granted('ACK', ctx.allocator.request(allocation), 'leased');
    }
    case 'RENEW':
      // Without Lease Time or Start Time, the allocator grants the defaults of RFC 2730 §2.2.7.
      return granted('ACK', ctx.allocator.renew(leaseId, time), 'renewed');
    case 'RELEASE': {
      const released = ctx.allocator.release(leaseId);
      if (!released) return refuse(ERROR_CODE.leaseIdentifierNotRecognized, 'no such lease');
      return { reply: reply(ctx, request, 'ACK', {}), summary: `RELEASE ${leaseId}: ACK released ${leaseAddresses(released).join(', ')}` };
    }
    case 'GETINFO': {
      const wanted = o.optionRequestList;
      if (!wanted) return refuse(ERROR_CODE.invalidRequest, 'GETINFO without an Option Request List', { option: OPTION.optionRequestList });
      const info: MadcapOptions = {};
      if (wanted.includes(OPTION.multicastScopeList)) {
        info.multicastScopeList = ctx.allocator.scopes
          .filter((s) => s.family === m.family)
          .map((s) => ({ id: s.id, last: formatAddress(s.family, s.last), ttl: s.ttl, names: [{ language: 'en', name: s.description, isDefault: true }] }));
      }
      if (wanted.includes(OPTION.currentTime)) info.currentTime = seconds(ctx.now());
      if (wanted.includes(OPTION.featureList)) info.featureList = { supported: [...SUPPORTED_FEATURES], requested: [], required: [] };
      return { reply: reply(ctx, request, 'ACK', info), summary: `GETINFO ${leaseId}: ACK options ${wanted.join(', ')}` };
    }
  }
}
