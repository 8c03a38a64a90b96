/**
 * Following the directory live (`Directory.watch`): a refreshAndPersist content
 * synchronisation (RFC 4533) over the library's own connection, read message by message and
 * turned into typed changes by the {@link SyncConsumer}. The server may end it with
 * e-syncRefreshRequired (4096): the search is then made again from the newest cookie, or
 * from nothing when that very cookie was refused. Leaving the loop (break, return, an
 * exception in its body) or aborting the signal cancels the search (RFC 3909) and closes
 * the connection.
 */
import { AndFilter, BerWriter, FilterParser, type Filter } from 'ldapts';
import {
  CANCEL_OID,
  decodeIntermediateResponse,
  decodeResult,
  decodeSearchEntry,
  decodeSyncDone,
  decodeSyncInfo,
  decodeSyncState,
  encodeCancelRequest,
  encodeExtendedRequest,
  encodeSearchRequest,
  encodeSyncRequest,
  Op,
  SYNC_DONE_OID,
  SYNC_INFO_OID,
  SYNC_REQUEST_OID,
  SYNC_STATE_OID,
  type Envelope,
} from '../protocol/index.js';
import { DirectoryError, ResultCode } from './errors.js';
import { LiveConnection, type LiveTarget } from './live-connection.js';
import { cookieBytes, SyncConsumer, WATCH_ATTRIBUTES, type WatchEvent } from './sync-consumer.js';
import type { DirectoryObjectType } from './object.js';

/** Options of {@link Directory.watch}; all optional. */
export interface WatchOptions {
  /** Where to watch, with its whole subtree; default the Directory's container. */
  base?: string;
  /** Only conferences or only users; both by default. */
  type?: DirectoryObjectType;
  /** Only names matching this pattern, as in `enumerate` (`*` the only wildcard). */
  name?: string;
  /**
   * An RFC 4515 filter the entries must also match, e.g. `(uid=weekly*)`. Conferences and
   * users are watched either way; an entry that stops matching is reported deleted.
   */
  filter?: string;
  /** Resume from this cookie (the `cookie` of an event from an earlier watch). */
  cookie?: string;
  /** Aborting it ends the iteration: the search is cancelled and the connection closed. */
  signal?: AbortSignal;
  /** Told about entries that cannot be read as objects (a blob that is not SDP); skipped otherwise. */
  onInvalid?: (dn: string, error: Error) => void;
}

/** Searches made in a row without the server accepting one before the watch gives up. */
const MAX_RESTARTS = 3;

/** The filter of a watch: its own (classes and names, escaped already) and the caller's when given. */
function watchFilter(own: string, filter: string | undefined): Buffer {
  let parsed: Filter = FilterParser.parseString(own);
  if (filter !== undefined) {
    try {
      parsed = new AndFilter({ filters: [parsed, FilterParser.parseString(filter)] });
    } catch (error) {
      throw new TypeError(`invalid filter ${filter}: ${(error as Error).message}`);
    }
  }
  const writer = new BerWriter();
  parsed.write(writer);
  return writer.buffer;
}

const controlOf = (envelope: Envelope, oid: string): Buffer | undefined => envelope.controls.find((c) => c.oid === oid)?.value;

/**
 * The changes under `base` of the entries matching `own` (the classes and names, as filter
 * text) and the caller's filter (library-internal: `Directory.watch` checks the connection
 * and fills in the target). The filter is checked before anything is sent.
 */
export function watchDirectory(own: string, target: LiveTarget, base: string, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const filter = watchFilter(own, options.filter);
  return follow(target, base, filter, options);
}

async function* follow(target: LiveTarget, base: string, filter: Buffer, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const { signal } = options;
  if (signal?.aborted) return;
  const consumer = new SyncConsumer(options.cookie, options.onInvalid);
  const connection = await LiveConnection.open(target);
  let searchId: number | undefined;
  /** The search was cancelled (or abandoned with the connection): its end is expected. */
  let stopping = false;
  let finished = false;
  let giveUp: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (searchId !== undefined && !finished) connection.send(encodeExtendedRequest(CANCEL_OID, encodeCancelRequest(searchId)));
    else connection.close();
    // A server that does not answer the cancel in time loses the connection instead.
    giveUp = setTimeout(() => connection.destroy(), Math.min(target.timeoutMs, 5000));
    giveUp.unref();
  };
  signal?.addEventListener('abort', stop);
  try {
    if (signal?.aborted) return;
    let attempts = 0;
    for (;;) {
      const sent = consumer.cookie;
      consumer.startRefresh(sent);
      finished = false;
      // With a cookie, reloadHint as slapd's consumer sends it: a cookie the server can no
      // longer bring up to date change by change gets a present phase (the watch knows what it
      // reported), not e-syncRefreshRequired.
      searchId = connection.send(encodeSearchRequest({ base, scope: 'sub', filter, attributes: WATCH_ATTRIBUTES }), [
        { oid: SYNC_REQUEST_OID, critical: true, value: encodeSyncRequest({ mode: 'refreshAndPersist', ...(sent === undefined ? {} : { cookie: cookieBytes(sent) }), reloadHint: sent !== undefined }) },
      ]);
      attempts += 1;
      const outcome = yield* readSearch(connection, searchId, consumer, () => stopping);
      finished = true;
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind === 'ended' || stopping) return;
      // e-syncRefreshRequired: again from the newest cookie, or from nothing when the server refused the one just sent.
      if (outcome.accepted) attempts = 0;
      if (attempts >= MAX_RESTARTS) throw new DirectoryError(ResultCode.syncRefreshRequired, `the server asked ${attempts} times in a row to refresh again (${outcome.diagnostic || 'e-syncRefreshRequired'}); giving up`, base);
      if (consumer.cookie === sent) consumer.forgetCookie();
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    if (!finished) {
      stop();
      // Read to the search's end (the server answers the cancel with `canceled`), then say goodbye.
      try {
        for (;;) {
          const envelope = await connection.next();
          if (!envelope || (envelope.messageId === searchId && envelope.op.tag === Op.searchResultDone)) break;
        }
      } catch {
        // The connection failed while closing: nothing more to do.
      }
    }
    clearTimeout(giveUp);
    connection.close();
  }
}

/** How one search ended: the server ended it (or it was cancelled), or asked for a new refresh. */
type SearchOutcome = { kind: 'ended' } | { kind: 'refreshRequired'; accepted: boolean; diagnostic: string } | { kind: 'failed'; error: DirectoryError };

/** Reads the messages of one search, yielding its events, until its SearchResultDone. */
async function* readSearch(connection: LiveConnection, searchId: number, consumer: SyncConsumer, stopping: () => boolean): AsyncGenerator<WatchEvent, SearchOutcome> {
  /** Whether the server sent anything for this search (it accepted the cookie). */
  let accepted = false;
  for (;;) {
    const envelope = await connection.next();
    if (!envelope) {
      if (stopping()) return { kind: 'ended' };
      throw new DirectoryError(ResultCode.serverDown, 'the server closed the connection of the watch');
    }
    if (envelope.messageId === 0 && envelope.op.tag === Op.extendedResponse) {
      // A notice of disconnection (RFC 4511 §4.4.1): the server is going away.
      const notice = decodeResult(envelope.pdu, envelope.op);
      if (stopping()) return { kind: 'ended' };
      throw new DirectoryError(notice.code === ResultCode.success ? ResultCode.serverDown : notice.code, notice.diagnostic || 'the server ended the connection of the watch');
    }
    // Other ids: the answer to a cancel.
    if (envelope.messageId !== searchId) continue;
    switch (envelope.op.tag) {
      case Op.searchResultEntry: {
        const state = controlOf(envelope, SYNC_STATE_OID);
        const entry = decodeSearchEntry(envelope.pdu, envelope.op);
        if (!state) throw new DirectoryError(ResultCode.protocolError, `the server sent ${entry.dn} without a Sync State control: it does not speak RFC 4533 content synchronisation`);
        accepted = true;
        if (!stopping()) yield* consumer.entry(entry, decodeSyncState(state));
        break;
      }
      case Op.intermediateResponse: {
        const response = decodeIntermediateResponse(envelope.pdu, envelope.op);
        if (response.name !== undefined && response.name !== SYNC_INFO_OID) break;
        accepted = true;
        if (!stopping()) yield* consumer.info(decodeSyncInfo(response.value));
        break;
      }
      case Op.searchResultDone: {
        const result = decodeResult(envelope.pdu, envelope.op);
        const done = decodeSyncDone(controlOf(envelope, SYNC_DONE_OID));
        if (result.code === ResultCode.success) {
          yield* consumer.done(done);
          return { kind: 'ended' };
        }
        if (stopping() && (result.code === ResultCode.canceled || result.code === ResultCode.operationsError)) return { kind: 'ended' };
        if (result.code === ResultCode.syncRefreshRequired) {
          consumer.refreshRequired(done.cookie);
          return { kind: 'refreshRequired', accepted, diagnostic: result.diagnostic };
        }
        if (result.code === ResultCode.unavailableCriticalExtension) {
          const said = result.diagnostic ? ` (${result.diagnostic})` : '';
          return { kind: 'failed', error: new DirectoryError(result.code, `the server does not offer RFC 4533 content synchronisation${said}`) };
        }
        return { kind: 'failed', error: new DirectoryError(result.code, result.diagnostic) };
      }
      default:
        // Search result references: not followed.
        break;
    }
  }
}
