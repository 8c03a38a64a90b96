/**
 * Live updates for the page: server-sent events from the directory's change feed. Each
 * committed change of an entry becomes an event `change` (id: its sequence number, data: its
 * kind and DN) on every open stream; the page's script refreshes its list when it hears one.
 * A browser that reconnects sends the last id it saw (Last-Event-ID) and gets what it missed,
 * or `reset` when the feed no longer holds that far back. Streams are bounded in number and
 * in what they may leave unsent: a client that does not read is closed (it reconnects).
 */
import type { ServerResponse } from 'node:http';
import type { DirectoryTree } from '../directory/index.js';

/** The directory's change feed (DirectoryTree.changes), in the process that writes. */
export type ChangeFeed = DirectoryTree['changes'];

/** Open streams at most; more get 503 (the page still works, without live updates). */
export const MAX_STREAMS = 256;
/** Bytes a stream may leave unsent before it is closed. */
const MAX_BUFFERED = 256 * 1024;
/** A comment this often keeps proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 25_000;
/** Records read from the feed at a time. */
const BATCH = 500;

/** The open event streams over one change feed. */
export class LiveStreams {
  readonly #feed: ChangeFeed;
  readonly #streams = new Set<Stream>();
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(feed: ChangeFeed) {
    this.#feed = feed;
    this.#unsubscribe = feed.onCommit(() => {
      for (const stream of this.#streams) stream.pump();
    });
    this.#heartbeat = setInterval(() => {
      for (const stream of this.#streams) stream.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** The feed's head: where a page rendered now starts listening. */
  head(): number {
    return this.#feed.head();
  }

  /** Whether another stream may open. */
  get full(): boolean {
    return this.#streams.size >= MAX_STREAMS;
  }

  /**
   * Serves one stream on `response` (headers not yet sent), from the change after `since`
   * (absent: from now on).
   */
  open(response: ServerResponse, since: number | undefined): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    const stream = new Stream(this.#feed, response, since ?? this.#feed.head(), () => this.#streams.delete(stream));
    this.#streams.add(stream);
    response.on('close', () => stream.close());
    stream.write('retry: 3000\n\n');
    stream.pump();
  }

  /** Ends every stream and stops listening to the feed. */
  close(): void {
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    for (const stream of this.#streams) stream.close();
  }
}

class Stream {
  #closed = false;
  constructor(
    private readonly feed: ChangeFeed,
    private readonly response: ServerResponse,
    private cursor: number,
    private readonly onClose: () => void,
  ) {}

  write(text: string): void {
    if (this.#closed) return;
    this.response.write(text);
    if (this.response.writableLength > MAX_BUFFERED) this.close();
  }

  /** Sends what was committed after the cursor. */
  pump(): void {
    while (!this.#closed) {
      const records = this.feed.since(this.cursor, BATCH);
      if (records === 'expired') {
        this.cursor = this.feed.head();
        this.write(`id: ${this.cursor}\nevent: reset\ndata: {}\n\n`);
        return;
      }
      for (const r of records) this.write(`id: ${r.seq}\nevent: change\ndata: ${JSON.stringify({ kind: r.kind, dn: r.dn })}\n\n`);
      const last = records.at(-1);
      if (last) this.cursor = last.seq;
      if (records.length < BATCH) return;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.response.end();
    this.onClose();
  }
}
