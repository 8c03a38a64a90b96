/**
 * Search (RFC 4511 §4.5) on the wire: the size, time and page limits, paged-results cookies
 * (RFC 2696), and the entries streamed as the directory finds them, with back-pressure. A
 * search with a content sync or persistent search control is live (./live-search.ts).
 * This is the hot path: nothing here allocates or awaits per entry beyond the entry's
 * message, unless the socket is full.
 */
import { OperationError, SCANNING, type EntryView } from '../../directory/index.js';
import { message, Op, PAGED_RESULTS_OID, ResultCode, type Envelope } from '../../protocol/index.js';
import { pagedRequest, pagedResponseValue } from '../controls.js';
import { decodeCookie, encodeCookie } from '../paging.js';
import { resultOp, searchDoneMessage, searchEntryMessage, viewAttributeList } from '../responses.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';
import { SLICE_MS, Slices } from '../slices.js';
import { liveControl, persistentSearch, syncSearch } from './live-search.js';

type SearchRequest = Extract<LdapRequest, { type: 'search' }>;

/** The largest page size (RFC 2696: INTEGER (0..maxInt)). */
const MAX_INT = 2 ** 31 - 1;

/**
 * Bytes of entry messages a search gathers before it writes them (and waits, when the socket
 * is full): a page of results goes out in a few writes, and no more than this (and one entry)
 * is held per search.
 */
const GATHER_BYTES = 32 * 1024;

/** The SearchResultDone of a page of paged results (RFC 2696), with the cookie to continue from (empty: the last page). */
function pagedDone(messageId: number, cookie: Buffer): Buffer {
  return message(messageId, resultOp(Op.searchResultDone, ResultCode.success), [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(cookie) }]);
}

/** The SearchResultEntry message of a view. */
function entryMessage(messageId: number, view: EntryView): Buffer {
  return searchEntryMessage(messageId, view.dn, viewAttributeList(view));
}

/**
 * Entries and the final result go out corked, so a small result is one TCP segment instead
 * of one per message (with TCP_NODELAY each write would otherwise be sent alone).
 */
export async function search(session: Session, envelope: Envelope, request: SearchRequest): Promise<void> {
  const live = liveControl(envelope.controls);
  if (live?.kind === 'sync') return syncSearch(session, envelope, request, live.request);
  if (live?.kind === 'psearch') return persistentSearch(session, envelope, request, live.request, live.style);
  session.cork();
  try {
    return await searchCorked(session, envelope, request);
  } finally {
    session.uncork();
  }
}

async function searchCorked(session: Session, envelope: Envelope, request: SearchRequest): Promise<void> {
  const { directory, limits, clientLog, writer } = session.services;
  const paged = pagedRequest(envelope.controls);
  if (paged && (paged.size < 0 || paged.size > MAX_INT)) {
    // As slapd: a negative size would otherwise lift the size limit off the whole search.
    throw new OperationError(ResultCode.protocolError, `paged results size ${paged.size} is out of range (0 to ${MAX_INT})`);
  }
  const adminLimit = limits.sizeLimit;
  if (paged) paged.size = Math.min(paged.size, adminLimit);
  const sizeLimit = paged ? request.sizeLimit : request.sizeLimit === 0 ? adminLimit : Math.min(request.sizeLimit, adminLimit);
  const afterId = paged && paged.cookie.length > 0 ? decodeCookie(paged.cookie, request) : undefined;
  if (paged && paged.size === 0) {
    // RFC 2696 §3: a size of zero abandons the paged search.
    return session.respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }]);
  }
  // One literal of one shape (an optional afterId is undefined, not absent): spreading a
  // request built with a conditional spread took V8's slow path, 4% of an equality search.
  // A page, or a size limit, is read with one more to tell whether more exist.
  const wanted = paged ? paged.size + 1 : sizeLimit > 0 ? sizeLimit + 1 : undefined;
  const search = { base: request.base, scope: request.scope, filter: request.filter, afterId, wanted, attributes: request.attributes, typesOnly: request.typesOnly, pauseAfterMs: SLICE_MS };
  // An ILS (sttl=N) term refreshes what the search matches: a write, made first, so that the
  // search (which only reads) returns the new entryTTL.
  const refresh = directory.sttlRefresh(search);
  if (refresh) await writer.write({ op: 'sttl', identity: session.identity, refresh });
  const results = directory.search(session.identity, search);
  // The client's time limit, or the server's when that is smaller or the client set none.
  const clientLimited = request.timeLimit > 0 && request.timeLimit <= limits.timeLimit;
  const timeLimit = clientLimited ? request.timeLimit : limits.timeLimit;
  const slices = new Slices(session, timeLimit);
  const timedOut = (): Promise<void> =>
    session.respond(envelope, ResultCode.timeLimitExceeded, `${clientLimited ? 'the requested' : "the server's"} time limit of ${timeLimit} s was exceeded`);
  // Entries found are gathered and written with what follows them: a search that finds one
  // entry (most of them) is answered with one buffer, its entry and its result together, and
  // a page of a hundred entries with a few (a write per entry was a socket write call each).
  const gathered: Buffer[] = [];
  let gatheredBytes = 0;
  /**
   * Writes the gathered entries, and `last` after them, as one buffer; when the socket is
   * full, what resolves once it takes more.
   */
  const release = (last?: Buffer): Promise<void> | undefined => {
    if (last) {
      gathered.push(last);
      gatheredBytes += last.length;
    }
    if (gathered.length === 0) return undefined;
    const bytes = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes);
    gathered.length = 0;
    gatheredBytes = 0;
    return session.writeOrWait(bytes)?.then(() => slices.restart());
  };
  /** Lets an abandon and other clients' requests in; what was written goes out first. */
  const pause = async (): Promise<void> => {
    await release();
    await slices.pause();
  };
  let sent = 0;
  let lastId: number | undefined;
  try {
    for (let next = results.next(); !next.done; next = results.next()) {
      // An abandoned search sends nothing more, the entries it gathered included (RFC 4511 §4.11).
      if (session.cancelled(envelope.messageId)) return;
      const now = Date.now();
      if (slices.expired(now)) {
        await release();
        return await timedOut();
      }
      if (next.value === SCANNING) {
        await pause();
        continue;
      }
      if (slices.due(now)) {
        await pause();
        if (session.cancelled(envelope.messageId)) return;
      }
      if (paged && sent === paged.size) {
        // One more match exists: hand out a cookie to continue after the last one sent.
        return await release(pagedDone(envelope.messageId, encodeCookie(lastId!, request)));
      }
      if (sizeLimit > 0 && sent === sizeLimit) {
        const whose = sizeLimit === request.sizeLimit ? 'the requested' : "the server's";
        if (sizeLimit !== request.sizeLimit) clientLog.sizeLimited.note(session.address, `connection ${session.peer}: search of ${request.base} stopped at the size limit of ${sizeLimit} entries`);
        await release();
        return await session.respond(envelope, ResultCode.sizeLimitExceeded, `${whose} size limit of ${sizeLimit} entries was reached; narrow the filter or use paged results`);
      }
      const entry = entryMessage(envelope.messageId, next.value.view);
      gathered.push(entry);
      gatheredBytes += entry.length;
      if (gatheredBytes >= GATHER_BYTES) {
        const full = release();
        if (full) await full;
      }
      sent += 1;
      lastId = next.value.id;
    }
  } catch (error) {
    // A search that fails after finding entries sends them before its error, as it always did.
    await release();
    throw error;
  }
  if (!paged) {
    const done = searchDoneMessage(envelope.messageId, gathered);
    gathered.length = 0;
    return session.write(done);
  }
  await release(pagedDone(envelope.messageId, Buffer.alloc(0)));
}
