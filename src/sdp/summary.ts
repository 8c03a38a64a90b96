/**
 * The view of a conference blob that the directory indexes and TAPI's
 * ITDirectoryObjectConference exposes: projections of the SDP, never stored apart from it.
 */
import { isIPv4Multicast, isIPv6Multicast } from './fields.js';
import type { Connection, SessionDescription } from './model.js';
import { sessionSpan } from './schedule.js';
import { scopeFromIPv6, scopeFromTtl, widerScope, type AdvertisingScope } from './scope.js';

/** A multicast group the session uses. */
export interface MulticastGroup {
  /** First address of the group. */
  address: string;
  addrType: 'IP4' | 'IP6';
  /** IPv4 TTL, when given. */
  ttl?: number;
  /** Number of consecutive addresses. */
  count: number;
  /** Media type using it; absent for a session-level address no medium uses. */
  media?: string;
  /** First port and number of ports of that medium. */
  port?: number;
  portCount?: number;
}

/** What a directory derives from a conference blob. */
export interface ConferenceSummary {
  /** `s=` */
  name: string;
  /** `i=` at session level. */
  description?: string;
  /** The `o=` user name. */
  originator: string;
  /** `u=` */
  url?: string;
  /** Earliest start; absent for a permanent session. */
  start?: Date;
  /** Latest end with repeats; absent when unbounded or permanent. */
  stop?: Date;
  unbounded: boolean;
  permanent: boolean;
  /** From the widest multicast TTL or IPv6 scope; absent when no multicast address is used. */
  advertisingScope?: AdvertisingScope;
  /** Any `k=` line. */
  isEncrypted: boolean;
  /** Every multicast group in use, in the order of the description. */
  groups: MulticastGroup[];
}

function groupOf(c: Connection): MulticastGroup | undefined {
  const v4 = c.addrType === 'IP4' && isIPv4Multicast(c.address);
  if (!v4 && !(c.addrType === 'IP6' && isIPv6Multicast(c.address))) return undefined;
  const group: MulticastGroup = { address: c.address, addrType: v4 ? 'IP4' : 'IP6', count: c.count ?? 1 };
  if (c.ttl !== undefined) group.ttl = c.ttl;
  return group;
}

/** Derives the summary of a (valid) description. */
export function summarize(d: SessionDescription): ConferenceSummary {
  const groups: MulticastGroup[] = [];
  const sessionGroup = d.connection ? groupOf(d.connection) : undefined;
  for (const m of d.media) {
    const connections = m.connections.length > 0 ? m.connections : d.connection ? [d.connection] : [];
    for (const c of connections) {
      const g = groupOf(c);
      if (!g) continue;
      g.media = m.type;
      g.port = m.port;
      if (m.portCount !== undefined) g.portCount = m.portCount;
      groups.push(g);
    }
  }
  // A session-level group that every medium overrides is not in use; with no media it is the session's.
  if (sessionGroup && d.media.length === 0) groups.push(sessionGroup);

  let advertisingScope: AdvertisingScope | undefined;
  for (const g of groups) {
    if (g.addrType === 'IP6') advertisingScope = widerScope(advertisingScope, scopeFromIPv6(g.address));
    else if (g.ttl !== undefined) advertisingScope = widerScope(advertisingScope, scopeFromTtl(g.ttl));
  }

  const span = sessionSpan(d.times);
  const summary: ConferenceSummary = {
    name: d.name,
    originator: d.origin.username,
    unbounded: span.unbounded,
    permanent: span.permanent,
    isEncrypted: d.key !== undefined || d.media.some((m) => m.key !== undefined),
    groups,
  };
  if (d.information !== undefined) summary.description = d.information;
  if (d.uri !== undefined) summary.url = d.uri;
  if (span.start) summary.start = span.start;
  if (span.stop) summary.stop = span.stop;
  if (advertisingScope) summary.advertisingScope = advertisingScope;
  return summary;
}
