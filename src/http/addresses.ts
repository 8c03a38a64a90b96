/**
 * Where a session's media are sent, in words: one line per medium and address, as the page
 * and the calendar show them (`audio 233.252.0.12/127 port 49170 RTP/AVP`).
 */
import type { Connection, SessionDescription } from '../sdp/index.js';

function connectionText(c: Connection): string {
  return `${c.address}${c.ttl === undefined ? '' : `/${c.ttl}`}${c.count === undefined || c.count === 1 ? '' : ` (${c.count} addresses)`}`;
}

/** One line per medium and connection; the session's address alone when it has no media. */
export function addressesOf(session: SessionDescription): string[] {
  const lines: string[] = [];
  for (const m of session.media) {
    const connections = m.connections.length > 0 ? m.connections : session.connection ? [session.connection] : [];
    const port = `port ${m.port}${m.portCount === undefined ? '' : ` (${m.portCount} ports)`}`;
    for (const c of connections) lines.push(`${m.type} ${connectionText(c)} ${port} ${m.protocol}`);
  }
  if (session.media.length === 0 && session.connection) lines.push(connectionText(session.connection));
  return lines;
}
