/**
 * Sync cookies (RFC 4533 §2.5: opaque to the client) written as OpenLDAP writes them, so that
 * its consumers store, show and send them back unchanged: `rid=NNN[,sid=NNN],csn=CSN[;CSN...]`.
 * `rid` is the consumer's replica id, echoed; the CSN says how far the client has seen.
 */
import { csnServerId, isCsn, SERVER_ID } from './csn.js';

/** A cookie read. */
export interface SyncCookie {
  /** The consumer's replica id (three decimal digits in OpenLDAP's cookies), echoed back. */
  rid?: string;
  /** How far the client has seen: the CSN of this server's changes, when the cookie has one. */
  csn?: string;
}

/**
 * Reads a cookie a client sent. Anything that is not an OpenLDAP cookie (another server's,
 * garbage) reads as one with no CSN: the client then gets a full refresh, as for no cookie
 * at all, which is always safe.
 */
export function parseCookie(text: string): SyncCookie {
  const cookie: SyncCookie = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key === 'rid' && /^\d{1,3}$/.test(value)) cookie.rid = value;
    else if (key === 'csn') {
      // One CSN per server id (multi-provider); ours is the one with our server id.
      const ours = value.split(';').filter((c) => isCsn(c) && csnServerId(c) === SERVER_ID);
      if (ours.length > 0) cookie.csn = ours.sort().at(-1)!;
    }
  }
  return cookie;
}

/** The cookie for a client at `csn`, keeping its replica id. */
export function formatCookie(csn: string, rid: string | undefined): string {
  return rid === undefined ? `csn=${csn}` : `rid=${rid.padStart(3, '0')},csn=${csn}`;
}
