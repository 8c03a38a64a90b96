/**
 * Live searches on the wire: what runs after a content sync's refresh phase (RFC 4533
 * refreshAndPersist) or a persistent search's initial results, outside the connection's
 * queue, until the client cancels or abandons it or goes away. Each follows the process's
 * change feed with a cursor ({@link LiveCursor}) and writes what concerns it with
 * back-pressure; it holds nothing but its position, so a client that stops reading costs a
 * socket buffer, not the server's heap. Past {@link ConnectionLimits.liveBacklog} unread
 * changes it is ended (its `overflow`), and the client must start again from its cookie.
 */
import type { LiveChange, LiveCursor } from '../directory/index.js';
import type { LiveEnd, LiveSearch } from './live-count.js';
import type { Session } from './session.js';

/** How a live search writes what it follows. */
export interface LiveWriter {
  /** The message for one change, its body after the message id (protocol's `messageBody`), or undefined to send nothing. */
  message(change: LiveChange): Buffer | undefined;
  /** Sent when the cursor moved past changes none of which was sent (a cookie for an idle client); undefined: nothing. */
  progress?(csn: string): Buffer | undefined;
  /** Sent when the search ends because the client fell behind, or the log forgot what it had not read. */
  overflow(): Buffer;
  /** What the search answers when the client cancels it. */
  cancelled(): Buffer;
  /** After `overflow` is written: end the whole connection (persistent search) or only the search. */
  readonly overflowEndsConnection?: boolean;
}

/** How many changes of the log a live search reads at a time. */
const READ_BATCH = 256;

/** How long an idle live search waits before telling its client how far the log moved. */
const PROGRESS_DELAY_MS = 1000;

/**
 * Follows the change feed for one live search of `session` (message `messageId`), from the
 * cursor's position, writing what `writer` makes of each change; returns the handle the
 * connection ends it with. The cursor starts where the client is (its last cookie's CSN).
 */
export function follow(session: Session, messageId: number, cursor: LiveCursor, writer: LiveWriter, backlog: number, onEnd: () => void): LiveSearch {
  const { directory } = session.services;
  let ended = false;
  /** Waiting for the client to read (the only wait): the socket is full. */
  let waiting = false;
  /** Changes read from the cursor and not written yet (the rest of a batch a full socket interrupted). */
  let pending: LiveChange[] = [];
  let next = 0;
  /** The CSN of what the client was last told: a change, or a new cookie. */
  let lastSent = cursor.csn;
  let progressTimer: NodeJS.Timeout | undefined;

  const stop = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    cursor.close();
    clearTimeout(progressTimer);
    onEnd();
  };

  const overflow = (): void => {
    if (ended) return;
    stop();
    session.services.clientLog.disconnected.note(session.address, `connection ${session.peer}: live search ${messageId} ended: the client fell more than ${backlog} changes behind`);
    void session.write(writer.overflow()).then(() => {
      if (writer.overflowEndsConnection) session.close();
    });
  };

  const progress = (): void => {
    progressTimer = undefined;
    const read = cursor.csn;
    if (ended || waiting || read === lastSent || !writer.progress) return;
    const bytes = writer.progress(read);
    lastSent = read;
    if (bytes) void session.write(bytes);
  };

  const fail = (error: unknown): void => {
    session.services.log.warn(`connection ${session.peer}: live search ${messageId}: ${(error as Error).stack ?? String(error)}`);
    stop();
  };

  /**
   * Writes what the search has not sent, up to the feed's head, synchronously: a wake costs
   * no promise unless the socket fills, and then the rest waits for it to drain.
   */
  const pump = (): void => {
    for (;;) {
      if (ended || session.cancelled(messageId)) return;
      if (next === pending.length) {
        if (cursor.behind === 0) break;
        const changes = cursor.read(READ_BATCH);
        if (changes === 'expired') return overflow();
        pending = changes;
        next = 0;
        continue;
      }
      const change = pending[next++]!;
      const body = writer.message(change);
      if (body === undefined) continue;
      const full = session.sendMessage(messageId, body);
      lastSent = change.record.csn;
      if (full) {
        waiting = true;
        full.then(() => {
          waiting = false;
          wake();
        }, fail);
        return;
      }
    }
    if (writer.progress && cursor.csn !== lastSent && progressTimer === undefined) {
      progressTimer = setTimeout(progress, PROGRESS_DELAY_MS);
      progressTimer.unref();
    }
  };

  const wake = (): void => {
    if (ended) return;
    // Waiting for the client to read: past the backlog, it has fallen behind. A client that
    // keeps up is never ended, however many changes one commit brings.
    if (waiting) {
      if (cursor.behind > backlog) overflow();
      return;
    }
    try {
      pump();
    } catch (error) {
      fail(error);
    }
  };
  const unsubscribe = directory.changes.onCommit(wake);
  // Changes committed between the refresh phase and now.
  wake();

  return {
    async end(why: LiveEnd): Promise<void> {
      if (ended) return;
      stop();
      if (why === 'cancel') await session.write(writer.cancelled());
    },
  };
}
