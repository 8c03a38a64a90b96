/**
 * How `list` and `show` present a conference: its derived summary (the span with repeats,
 * scope, groups), as table cells or as JSON.
 */
import type { Conference } from '../client/index.js';
import { formatProblem, SdpError } from '../sdp/index.js';
import { note, type ConnectionFlags } from './connection.js';
import { formatLocalTime } from './format.js';

/** The multicast groups of a conference, `239.1.2.3/15` style, without repeats. */
export function groupsText(conference: Conference): string {
  const groups = conference.blob.summary.groups.map((g) => `${g.address}${g.ttl !== undefined ? `/${g.ttl}` : ''}`);
  return [...new Set(groups)].join(',');
}

/** Start and end as table cells in the local time zone. */
export function spanCells(conference: Conference): [string, string] {
  const s = conference.blob.summary;
  if (s.permanent) return ['permanent', '-'];
  return [s.start ? formatLocalTime(s.start) : '-', s.stop ? formatLocalTime(s.stop) : 'unbounded'];
}

/** The machine-readable view of a conference. */
export function conferenceJson(conference: Conference): Record<string, unknown> {
  const s = conference.blob.summary;
  return {
    name: conference.name,
    dn: conference.dn,
    protocol: conference.protocol,
    sessionName: s.name,
    description: s.description,
    originator: s.originator,
    url: s.url,
    start: s.start,
    end: s.stop,
    permanent: s.permanent,
    unbounded: s.unbounded,
    scope: s.advertisingScope,
    encrypted: s.isEncrypted,
    groups: s.groups,
  };
}

/** The warning for an entry that is not a readable conference (its blob is not SDP): it is skipped. */
export function invalidNote(flags: ConnectionFlags): (dn: string, error: Error) => void {
  return (dn, error) => {
    const reason = error instanceof SdpError ? `invalid SDP: ${error.problems.map(formatProblem).join('; ')}` : error.message;
    note(flags, `rendezvous: warning: skipped ${dn}: ${reason}`);
  };
}
