/**
 * Leasing a multicast address for a conference: what `rendezvous publish --allocate` and
 * applications call before they write a blob. One function over {@link McastAddressAllocation}.
 */
import type { Attribute, Connection } from '../sdp/index.js';
import { parseAddress, type Family } from './address.js';
import { McastAddressAllocation, McastError, type McastLeaseInfo, type McastScope, type Retransmission } from './client.js';
import { LEASE_TAG_ATTRIBUTE, leaseTag } from './lease-tag.js';

/** What to lease. */
export interface ConferenceAllocationRequest {
  /** The MADCAP server, `HOST[:PORT]` (port 2535 by default). */
  server: string;
  /** Scope ID, an address in the scope, or its description (`local`); default: the server's first scope. */
  scope?: string;
  /** The conference's time span; the lease covers it. */
  start: Date;
  stop: Date;
  /** Consecutive addresses (SDP `c=` address count); default 1. */
  count?: number;
  /** For tests and impatient callers; RFC 2730's schedule by default. */
  retransmission?: Retransmission;
}

/** What was leased, ready for the blob. */
export interface ConferenceAllocation {
  /** The first address. */
  address: string;
  count: number;
  /** The scope's TTL, for the IPv4 `c=` line. */
  ttl: number;
  /** The `c=` line of the group: `IN IP4 ADDRESS/TTL[/COUNT]`, or IPv6 without TTL. */
  connection: Connection;
  /**
   * The session-level attribute `a=x-rendezvous-lease:TAG` that tells the directory this
   * conference is the lease's own booking, so its group does not count as a clash.
   */
  attribute: Attribute;
  /** Keep it (JSON) to renew or release the lease later. */
  lease: McastLeaseInfo;
}

/**
 * The client and scope a request names: an IPv6 Scope ID asks for IPv6; a description is
 * looked for among the IPv4 scopes, then the IPv6 ones (TAPI clients knew only IPv4).
 */
async function chooseScope(request: ConferenceAllocationRequest): Promise<{ client: McastAddressAllocation; scope: McastScope }> {
  const families: Family[] = request.scope?.includes(':') ? ['ipv6'] : request.scope === undefined || parseAddress(request.scope) ? ['ipv4'] : ['ipv4', 'ipv6'];
  for (const [i, family] of families.entries()) {
    const client = new McastAddressAllocation({ server: request.server, family, ...(request.retransmission ? { retransmission: request.retransmission } : {}) });
    const scopes = await client.enumerateScopes();
    if (request.scope === undefined) {
      if (scopes[0]) return { client, scope: scopes[0] };
      throw new McastError('usage', `the MADCAP server ${request.server} offers no scope`);
    }
    try {
      return { client, scope: await client.findScope(request.scope) };
    } catch (error) {
      if (!(error instanceof McastError) || error.kind !== 'usage' || i === families.length - 1) throw error;
    }
  }
  throw new McastError('usage', `no scope '${request.scope}'`);
}

/**
 * Leases addresses for a conference from `start` to `stop` and returns the `c=` connection
 * and the session attribute to write into its blob.
 *
 * @throws {@link McastError} when the server refuses or does not answer, or the scope is unknown.
 */
export async function allocateForConference(request: ConferenceAllocationRequest): Promise<ConferenceAllocation> {
  const { client, scope } = await chooseScope(request);
  const v6 = scope.scopeId.includes(':');
  const count = request.count ?? 1;
  const lease = await client.requestAddress(scope, request.start, request.stop, count);
  const address = lease.addresses[0]!;
  const connection: Connection = { netType: 'IN', addrType: v6 ? 'IP6' : 'IP4', address };
  if (!v6) connection.ttl = scope.ttl;
  if (count > 1) connection.count = count;
  return { address, count, ttl: scope.ttl, connection, attribute: { name: LEASE_TAG_ATTRIBUTE, value: leaseTag(lease.requestId) }, lease };
}
