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
  const csn = cursor.csn;
  let ended = false;
  let running = false;
  /** The CSN of what the client was last told: a change, or a new cookie. */
  let lastSent = csn;
  let progressTimer: NodeJS.Timeout | undefined;

  const stop = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
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
    if (ended || running || read === lastSent || !writer.progress) return;
    const bytes = writer.progress(read);
    lastSent = read;
    if (bytes) void session.write(bytes);
  };

  const drain = async (): Promise<void> => {
    if (running) {
      // The loop reads on to the feed's head, which moved before this wake. Running means waiting for the client to read (the loop's only wait): past the
      // backlog, it has fallen behind. A client that keeps up is never ended, however many
      // changes one commit brings.
      if (cursor.behind > backlog) overflow();
      return;
    }
    running = true;
    try {
      for (;;) {
        if (ended || session.cancelled(messageId)) return;
        const changes = cursor.read(READ_BATCH);
        if (changes === 'expired') return overflow();
        for (const change of changes) {
          const body = writer.message(change);
          if (body === undefined) continue;
          const full = session.sendMessage(messageId, body);
          lastSent = change.record.csn;
          if (full) await full;
          if (ended) return;
        }
        if (cursor.behind === 0) break;
      }
    } finally {
      running = false;
    }
    if (!ended && writer.progress) {
      if (cursor.csn !== lastSent && progressTimer === undefined) {
        progressTimer = setTimeout(progress, PROGRESS_DELAY_MS);
        progressTimer.unref();
      }
    }
  };

  const wake = (): void => void drain().catch((error: unknown) => {
    session.services.log.warn(`connection ${session.peer}: live search ${messageId}: ${(error as Error).stack ?? String(error)}`);
    stop();
  });
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
