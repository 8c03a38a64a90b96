/**
 * Live searches on the wire: RFC 4533 content synchronisation (the Sync Request control:
 * refreshOnly and refreshAndPersist, with cookies), persistent search
 * (draft-ietf-ldapext-psearch-03, with Entry Change Notifications), and Active Directory's
 * change notification (a persistent search of every change, without notifications, that
 * marks a deleted entry `isDeleted: TRUE`). The directory decides
 * what changed for the search (src/directory/sync); this encodes it: Sync State controls on
 * entries, Sync Info intermediate responses, Sync Done on the result. The refresh phase runs
 * in the connection's queue like any search; the persist phase runs beside it
 * (src/ldap/live.ts) until cancel (RFC 3909), abandon, unbind or disconnection.
 */
import { formatCookie, OperationError, parseCookie, SCANNING, type EntryView, type ChangeSource, type LiveChange, type LiveCursor, type LiveQuery, type RefreshItem } from '../../directory/index.js';
import {
  AD_NOTIFICATION_OID,
  BerError,
  ChangeType,
  decodePersistentSearch,
  decodeSyncRequest,
  encodeEntryChangeNotification,
  encodeSyncDone,
  encodeSyncInfo,
  encodeSyncState,
  ENTRY_CHANGE_NOTIFICATION_OID,
  message,
  messageBody,
  NOTICE_OF_DISCONNECTION_OID,
  Op,
  PERSISTENT_SEARCH_OID,
  readTlv,
  SYNC_REQUEST_OID,
  ResultCode,
  SYNC_DONE_OID,
  SYNC_INFO_OID,
  SYNC_STATE_OID,
  tlv,
  type Envelope,
  type PersistentSearch,
  type RequestControl,
  type ResponseControl,
  type SyncRequest,
} from '../../protocol/index.js';
import { follow, type LiveWriter } from '../live.js';
import type { LdapRequest } from '../requests.js';
import { attributeList, extendedResponseOp, intermediateResponseOp, resultOp, searchEntryOp, viewAttributeList } from '../responses.js';
import type { Session } from '../session.js';
import { SLICE_MS, Slices } from '../slices.js';

type SearchRequest = Extract<LdapRequest, { type: 'search' }>;

/**
 * The message body (what a change's message holds after its id) for `change`, kept on the
 * change ({@link ChangeSource.remember}) under a key of what shapes it (the state, cookie and
 * selection; undefined: a selection with computed attributes, not shared), so that the live
 * searches told of a change alike share one encoding, found without building a key per
 * search. `encode` is the search's own (made once per search: no closure per message).
 */
function sharedBody(changes: ChangeSource, change: LiveChange, key: string | undefined, encode: (change: LiveChange) => Buffer): Buffer {
  if (key === undefined) return encode(change);
  const kept = change.record.memo.get(key) as Buffer | undefined;
  if (kept !== undefined) return kept;
  const body = encode(change);
  return changes.remember(change.record, key, body, 64 + body.length);
}

/** Keys of a live search's shared bodies by change kind (made once per search); undefined: not shareable. */
type BodyKeys = Readonly<Record<LiveChange['kind'], string>> | undefined;

function bodyKeys(query: LiveQuery, shape: string): BodyKeys {
  const { reuseKey } = query.selection;
  if (reuseKey === undefined) return undefined;
  const key = (kind: string): string => `m\u0000${shape}\u0000${kind}\u0000${query.request.typesOnly}\u0000${reuseKey}`;
  return { add: key('add'), modify: key('modify'), delete: key('delete') };
}

/** A SearchResultEntry message with response controls. */
const entryMessage = (messageId: number, view: EntryView, controls: ResponseControl[]): Buffer => message(messageId, searchEntryOp(view.dn, viewAttributeList(view)), controls);

/** A SearchResultDone message. */
const doneMessage = (messageId: number, code: number, diagnostic: string, controls: ResponseControl[] = []): Buffer => message(messageId, resultOp(Op.searchResultDone, code, diagnostic), controls);

/** A Sync Info intermediate response. */
const syncInfoMessage = (messageId: number, info: Parameters<typeof encodeSyncInfo>[0]): Buffer => message(messageId, intermediateResponseOp(SYNC_INFO_OID, encodeSyncInfo(info)));

/** How a persistent search tells its client of changes: the draft's, or Active Directory's change notification. */
export type PersistentStyle = 'psearch' | 'ad';

/**
 * Active Directory's change notification as a persistent search: every kind of change, only
 * changes (the client reads the current state itself), no Entry Change Notification (a
 * deleted entry is marked instead: {@link persistentSearch}).
 */
const AD_NOTIFICATION: PersistentSearch = { changeTypes: ChangeType.add | ChangeType.delete | ChangeType.modify | ChangeType.modDN, changesOnly: true, returnECs: false };

/** The control that makes a search live, if any: content sync, persistent search or Active Directory's change notification. */
export function liveControl(controls: readonly RequestControl[]): { kind: 'sync'; request: SyncRequest } | { kind: 'psearch'; request: PersistentSearch; style: PersistentStyle } | undefined {
  for (const c of controls) {
    if (c.oid === SYNC_REQUEST_OID) return { kind: 'sync', request: decodeSyncRequest(c.value) };
    if (c.oid === PERSISTENT_SEARCH_OID) return { kind: 'psearch', request: decodePersistentSearch(c.value), style: 'psearch' };
    if (c.oid === AD_NOTIFICATION_OID) {
      if (c.value !== undefined && c.value.length > 0) throw new BerError('the change notification control (1.2.840.113556.1.4.528) has no value');
      return { kind: 'psearch', request: AD_NOTIFICATION, style: 'ad' };
    }
  }
  return undefined;
}

/**
 * The attribute list of a deleted entry as Active Directory's change notification sends it:
 * the entry's attributes as they were, and `isDeleted: TRUE`, as AD marks the deleted object
 * it reports ([MS-ADTS] 3.1.1.3.4.1.9). There is no Deleted Objects container here: the DN is
 * the one the entry had.
 */
function markedDeleted(list: Buffer, typesOnly: boolean): Buffer {
  const mark = attributeList([{ name: 'isDeleted', values: typesOnly ? [] : ['TRUE'], binary: false }]);
  // Both are SEQUENCE OF PartialAttribute: one sequence of the two contents.
  const content = (sequence: Buffer): Buffer => {
    const { start, end } = readTlv(sequence, 0);
    return sequence.subarray(start, end);
  };
  return tlv(0x30, content(list), content(mark));
}

/**
 * Checks that one more live search may open on this connection and in the server (its
 * admission counts them over every process), and takes its place in the server's count
 * (given back by `release`).
 */
async function admitLive(session: Session, persist: boolean): Promise<() => void> {
  if (!persist) return () => undefined;
  const { limits, admission } = session.services;
  if (session.liveSearches >= limits.maxLiveSearches) {
    throw new OperationError(ResultCode.adminLimitExceeded, `this connection already has ${limits.maxLiveSearches} live searches open (the server's limit per connection); end one (cancel or abandon) first`);
  }
  const refusal = await admission.admitLive();
  if (refusal !== undefined) throw new OperationError(ResultCode.busy, refusal);
  let released = false;
  return () => {
    if (!released) admission.releaseLive();
    released = true;
  };
}

/** Runs a refresh phase, writing what it yields; returns its outcome, or undefined when it answered already (limit, abandon). */
async function runRefresh(
  session: Session,
  envelope: Envelope,
  request: SearchRequest,
  items: Generator<RefreshItem | typeof SCANNING, { csn: string; seq: number; refreshDeletes: boolean }>,
  write: (item: RefreshItem) => Buffer,
): Promise<{ csn: string; seq: number; refreshDeletes: boolean } | undefined> {
  const { limits } = session.services;
  // A replica (an administrator's account) reads the whole tree; others have the server's limits.
  const admin = session.identity.admin;
  const sizeLimit = admin ? request.sizeLimit : request.sizeLimit === 0 ? limits.sizeLimit : Math.min(request.sizeLimit, limits.sizeLimit);
  const timeLimit = admin ? request.timeLimit : request.timeLimit === 0 ? limits.timeLimit : Math.min(request.timeLimit, limits.timeLimit);
  const slices = new Slices(session, timeLimit);
  let sent = 0;
  for (let next = items.next(); ; next = items.next()) {
    if (session.cancelled(envelope.messageId)) return undefined;
    const now = Date.now();
    if (slices.expired(now)) {
      await session.respond(envelope, ResultCode.timeLimitExceeded, `the time limit of ${timeLimit} s was exceeded during the refresh phase; nothing is to be deleted from what the client has`);
      return undefined;
    }
    if (next.done) return next.value;
    if (next.value === SCANNING || slices.due(now)) {
      await slices.pause();
      if (next.value === SCANNING) continue;
    }
    const item = next.value;
    if (item.type === 'entry') {
      if (sizeLimit > 0 && sent === sizeLimit) {
        await session.respond(envelope, ResultCode.sizeLimitExceeded, `the size limit of ${sizeLimit} entries was reached during the refresh phase; narrow the search or replicate as an administrator`);
        return undefined;
      }
      sent += 1;
    }
    const full = session.writeOrWait(write(item));
    if (full) {
      await full;
      slices.restart();
    }
  }
}

/** A content synchronisation search (RFC 4533 §3). */
export async function syncSearch(session: Session, envelope: Envelope, request: SearchRequest, sync: SyncRequest): Promise<void> {
  const { directory } = session.services;
  const id = envelope.messageId;
  const persist = sync.mode === 'refreshAndPersist';
  const release = await admitLive(session, persist);
  try {
    // Content sync is how replicas follow the directory: it sends what a replica can store.
    const query = directory.liveQuery(request, 'replicable');
    const cookie = sync.cookie ? parseCookie(sync.cookie.toString('utf8')) : {};
    const cookieOf = (csn: string): Buffer => Buffer.from(formatCookie(csn, cookie.rid));
    if (cookie.csn !== undefined && !sync.reloadHint && !directory.logCovers(cookie.csn)) {
      // As syncprov: a cookie the log no longer covers gets a full reload only if the client
      // said it would take one (reloadHint, which slapd's consumer sends); otherwise it is told
      // to sync again (RFC 4533 §3.1: e-syncRefreshRequired), from nothing or with the hint.
      release();
      return session.write(
        doneMessage(id, ResultCode.syncRefreshRequired, 'the change log no longer holds the changes since this cookie; sync again without it, or with reloadHint set, for a full reload', [
          { oid: SYNC_DONE_OID, value: encodeSyncDone({ refreshDeletes: false }) },
        ]),
      );
    }
    const refresh = directory.syncRefresh(session.identity, query, cookie.csn, SLICE_MS);
    session.cork();
    let outcome;
    try {
      outcome = await runRefresh(session, envelope, request, refresh, (item) =>
        item.type === 'entry'
          ? entryMessage(id, item.view, [{ oid: SYNC_STATE_OID, value: encodeSyncState({ state: item.state, uuid: item.uuid }) }])
          : syncInfoMessage(id, { type: 'syncIdSet', refreshDeletes: true, uuids: item.uuids }),
      );
    } finally {
      session.uncork();
    }
    if (outcome === undefined) return release();
    const done = cookieOf(outcome.csn);
    if (!persist) {
      release();
      return session.write(doneMessage(id, ResultCode.success, '', [{ oid: SYNC_DONE_OID, value: encodeSyncDone({ cookie: done, refreshDeletes: outcome.refreshDeletes }) }]));
    }
    await session.write(syncInfoMessage(id, { type: outcome.refreshDeletes ? 'refreshDelete' : 'refreshPresent', cookie: done, refreshDone: true }));
    if (session.cancelled(id)) return release();
    // The cookie of what the client was told last; made into bytes only when sent on its own.
    let lastCsn = outcome.csn;
    const keys = bodyKeys(query, `sync\u0000${cookie.rid ?? ''}`);
    const changes = directory.changes;
    const body = (change: LiveChange): Buffer => {
      const state = encodeSyncState({ state: change.kind, uuid: change.record.uuid, cookie: cookieOf(change.record.csn) });
      const view = change.kind === 'delete' ? { dn: change.record.dn, attributes: [] } : query.view(change.entry!);
      return messageBody(searchEntryOp(view.dn, viewAttributeList(view)), [{ oid: SYNC_STATE_OID, value: state }]);
    };
    const writer: LiveWriter = {
      message: (change) => {
        lastCsn = change.record.csn;
        return sharedBody(changes, change, keys?.[change.kind], body);
      },
      progress: (csn) => {
        lastCsn = csn;
        return syncInfoMessage(id, { type: 'newcookie', cookie: cookieOf(csn) });
      },
      overflow: () =>
        doneMessage(id, ResultCode.syncRefreshRequired, `the client fell behind the changes; sync again from the cookie`, [
          { oid: SYNC_DONE_OID, value: encodeSyncDone({ cookie: cookieOf(lastCsn), refreshDeletes: false }) },
        ]),
      cancelled: () => doneMessage(id, ResultCode.canceled, 'the sync was cancelled', [{ oid: SYNC_DONE_OID, value: encodeSyncDone({ cookie: cookieOf(lastCsn), refreshDeletes: false }) }]),
    };
    startLive(session, id, directory.liveCursor(query, outcome.seq, outcome.csn), writer, release);
  } catch (error) {
    release();
    throw error;
  }
}

/** Entry Change Notification change types by what happened. */
const ECN_TYPE: Readonly<Record<LiveChange['kind'], number>> = { add: ChangeType.add, delete: ChangeType.delete, modify: ChangeType.modify };

/**
 * A persistent search (draft-ietf-ldapext-psearch-03 §4): entries as they change, with Entry
 * Change Notifications when asked; in Active Directory's `style`, a deleted entry as it was
 * with `isDeleted: TRUE`.
 */
export async function persistentSearch(session: Session, envelope: Envelope, request: SearchRequest, ps: PersistentSearch, style: PersistentStyle): Promise<void> {
  const { directory } = session.services;
  const id = envelope.messageId;
  const release = await admitLive(session, true);
  try {
    // A persistent search shows entries as stored, as a search does.
    const query: LiveQuery = directory.liveQuery(request, 'stored');
    let position: { seq: number; csn: string };
    if (ps.changesOnly) {
      position = directory.logPosition();
      directory.requireLiveBase(query);
    } else {
      session.cork();
      let outcome;
      try {
        outcome = await runRefresh(session, envelope, request, directory.syncRefresh(session.identity, query, undefined, SLICE_MS), (item) =>
          // Without a cookie the refresh yields every entry, as an add.
          entryMessage(id, (item as Extract<RefreshItem, { type: 'entry' }>).view, []),
        );
      } finally {
        session.uncork();
      }
      if (outcome === undefined) return release();
      position = outcome;
    }
    const keys = bodyKeys(query, `ps\u0000${ps.returnECs}\u0000${style}`);
    const changes = directory.changes;
    const body = (change: LiveChange): Buffer => {
      const view = change.kind === 'delete' ? query.viewOfBefore(change.record) : query.view(change.entry!);
      const controls = ps.returnECs ? [{ oid: ENTRY_CHANGE_NOTIFICATION_OID, value: encodeEntryChangeNotification({ changeType: ECN_TYPE[change.kind], changeNumber: change.record.seq }) }] : [];
      const list = style === 'ad' && change.kind === 'delete' ? markedDeleted(viewAttributeList(view), request.typesOnly) : viewAttributeList(view);
      return messageBody(searchEntryOp(view.dn, list), controls);
    };
    const writer: LiveWriter = {
      message: (change) => {
        if ((ps.changeTypes & ECN_TYPE[change.kind]) === 0) return undefined;
        return sharedBody(changes, change, keys?.[change.kind], body);
      },
      overflow: () => message(0, extendedResponseOp(ResultCode.adminLimitExceeded, `a ${NAMES[style]} fell too far behind the changes; search again`, NOTICE_OF_DISCONNECTION_OID)),
      overflowEndsConnection: true,
      cancelled: () => doneMessage(id, ResultCode.canceled, `the ${NAMES[style]} was cancelled`),
    };
    startLive(session, id, directory.liveCursor(query, position.seq, position.csn), writer, release);
  } catch (error) {
    release();
    throw error;
  }
}

/** What a client is told its search is, by style. */
const NAMES: Readonly<Record<PersistentStyle, string>> = { psearch: 'persistent search', ad: 'change notification search' };

/** Hands the persist phase to the connection, outside its queue. */
function startLive(session: Session, id: number, cursor: LiveCursor, writer: LiveWriter, release: () => void): void {
  const live = follow(session, id, cursor, writer, session.services.limits.liveBacklog, () => {
    session.removeLive(id);
    release();
  });
  session.addLive(id, live);
}
