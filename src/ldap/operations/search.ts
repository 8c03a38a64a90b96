/**
 * Search (RFC 4511 §4.5) on the wire: the size, time and page limits, paged-results cookies
 * (RFC 2696), and the entries streamed as the directory finds them, with back-pressure.
 * This is the hot path: nothing here allocates or awaits per entry beyond the entry's
 * message, unless the socket is full.
 */
import type { EntryView } from '../../directory/index.js';
import { PAGED_RESULTS_OID, ResultCode, type Envelope, type ResponseControl } from '../../protocol/index.js';
import { pagedRequest, pagedResponseValue } from '../controls.js';
import { decodeCookie, encodeCookie } from '../paging.js';
import { attributeList, searchEntryMessage } from '../responses.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

type SearchRequest = Extract<LdapRequest, { type: 'search' }>;

/**
 * Encoded attribute lists by view. The directory hands out the same view object again while
 * an entry and the selection are unchanged, so a popular entry is encoded once, not once per
 * search; a view of the stored encoding needs none.
 */
const encodedLists = new WeakMap<EntryView, Buffer>();

/** The SearchResultEntry message of a view. */
function entryMessage(messageId: number, view: EntryView): Buffer {
  let list = view.encoded ?? encodedLists.get(view);
  if (!list) {
    list = attributeList(view.attributes);
    encodedLists.set(view, list);
  }
  return searchEntryMessage(messageId, view.dn, list);
}

/**
 * Entries and the final result go out corked, so a small result is one TCP segment instead
 * of one per message (with TCP_NODELAY each write would otherwise be sent alone).
 */
export async function search(session: Session, envelope: Envelope, request: SearchRequest): Promise<void> {
  session.cork();
  try {
    return await searchCorked(session, envelope, request);
  } finally {
    session.uncork();
  }
}

async function searchCorked(session: Session, envelope: Envelope, request: SearchRequest): Promise<void> {
  const { directory, limits, log, writer } = session.services;
  const paged = pagedRequest(envelope.controls);
  const adminLimit = limits.sizeLimit;
  if (paged) paged.size = Math.min(paged.size, adminLimit);
  const sizeLimit = paged ? request.sizeLimit : request.sizeLimit === 0 ? adminLimit : Math.min(request.sizeLimit, adminLimit);
  const afterId = paged && paged.cookie.length > 0 ? decodeCookie(paged.cookie, request) : undefined;
  if (paged && paged.size === 0) {
    // RFC 2696 §3: a size of zero abandons the paged search.
    return session.respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }]);
  }
  const search = { base: request.base, scope: request.scope, filter: request.filter, ...(afterId === undefined ? {} : { afterId }) };
  // An ILS (sttl=N) term refreshes what the search matches: a write, made first, so that the
  // search (which only reads) returns the new entryTTL.
  const refresh = directory.sttlRefresh(search);
  if (refresh) await writer.write({ op: 'sttl', identity: session.identity, refresh });
  const results = directory.search(session.identity, { ...search, attributes: request.attributes, typesOnly: request.typesOnly });
  const started = Date.now();
  let sent = 0;
  let lastId: number | undefined;
  for (let next = results.next(); !next.done; next = results.next()) {
    if (session.cancelled(envelope.messageId)) return;
    if (paged && sent === paged.size) {
      // One more match exists: hand out a cookie to continue after the last one sent.
      return session.respond(envelope, ResultCode.success, '', '', [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(encodeCookie(lastId!, request)) }]);
    }
    if (sizeLimit > 0 && sent === sizeLimit) {
      const whose = sizeLimit === request.sizeLimit ? 'the requested' : "the server's";
      if (sizeLimit !== request.sizeLimit) log.info(`connection ${session.peer}: search of ${request.base} stopped at the size limit of ${sizeLimit} entries`);
      return session.respond(envelope, ResultCode.sizeLimitExceeded, `${whose} size limit of ${sizeLimit} entries was reached; narrow the filter or use paged results`);
    }
    if (request.timeLimit > 0 && Date.now() - started > request.timeLimit * 1000) {
      return session.respond(envelope, ResultCode.timeLimitExceeded, `time limit of ${request.timeLimit} s exceeded`);
    }
    const { view, id } = next.value;
    const full = session.writeOrWait(entryMessage(envelope.messageId, view));
    if (full) await full;
    sent += 1;
    lastId = id;
  }
  const controls: ResponseControl[] = paged ? [{ oid: PAGED_RESULTS_OID, value: pagedResponseValue(Buffer.alloc(0)) }] : [];
  return session.respond(envelope, ResultCode.success, '', '', controls);
}
