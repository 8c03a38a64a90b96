/**
 * The change feed's ring (src/directory/sync/feed.ts) over a log held in an array: it keeps
 * the changes its readers have not read beyond its size, so that readers far apart share each
 * change (one record, one memo), lets them go once read, counts what is remembered on a change,
 * and stays within its bytes whatever a reader that stops reading leaves behind, that reader
 * then reading the log itself without missing a change. Through a directory and its SQLite
 * log: test/directory/sync.test.ts; through the wire: test/ldap/live.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ChangeFeed, type ChangeRecord, type ChangeRows, type FeedReader } from '../../src/directory/sync/feed.js';
import type { ChangeRow } from '../../src/store/index.js';

/** A change log in memory: rows appended in order, read as ChangeLog reads them. */
class ArrayLog implements ChangeRows {
  readonly rows: ChangeRow[] = [];
  /** How many times the feed or a reader read the log. */
  reads = 0;

  append(count: number, beforeBytes = 0): void {
    for (let i = 0; i < count; i += 1) {
      const seq = this.rows.length + 1;
      this.rows.push({
        seq,
        csn: `20261207120000.${String(seq).padStart(6, '0')}Z#000000#000#000000`,
        uuid: `uuid-${seq}`,
        kind: 'modify',
        expired: false,
        dn: `cn=P${seq},ou=dynamic,o=intranet`,
        path: `o=intranet/ou=dynamic/cn=p${seq}`,
        at: seq,
        before: beforeBytes > 0 ? Buffer.alloc(beforeBytes, 1) : null,
      });
    }
  }

  head(): number {
    return this.rows.at(-1)?.seq ?? 0;
  }

  since(seq: number, limit: number): ChangeRow[] {
    this.reads += 1;
    return this.rows.filter((row) => row.seq > seq).slice(0, limit);
  }
}

/** A reader as a live search is: its position, moved by what it reads. */
class Reader implements FeedReader {
  seq = 0;
  readonly seen: ChangeRecord[] = [];
  constructor(private readonly feed: ChangeFeed) {}

  /** Reads up to `count` changes, `batch` at a time; fails on a gap or 'expired'. */
  read(count: number, batch = 50): void {
    for (let left = count; left > 0 && this.seq < this.feed.head(); ) {
      const records = this.feed.since(this.seq, Math.min(batch, left));
      if (records === 'expired') throw new Error(`expired at ${this.seq}`);
      for (const record of records) {
        expect(record.seq).toBe(this.seq + 1);
        this.seq = record.seq;
        this.seen.push(record);
      }
      left -= records.length;
    }
  }
}

const open = (size: number, bytes: number): { log: ArrayLog; feed: ChangeFeed } => {
  const log = new ArrayLog();
  return { log, feed: new ChangeFeed(log, { size, bytes }) };
};

/** A feed of ring size 10 and one tracked reader that has read `count` changes. */
const readerAfter = (count: number): { log: ArrayLog; feed: ChangeFeed; reader: Reader } => {
  const { log, feed } = open(10, 1024 * 1024);
  const reader = new Reader(feed);
  feed.track(reader);
  log.append(count);
  feed.wake();
  reader.read(count);
  return { log, feed, reader };
};

describe('the change feed', () => {
  it('keeps what a reader has not read beyond its size, so readers far apart share each change; lets it go once read', () => {
    const { log, feed } = open(10, 1024 * 1024);
    const ahead = new Reader(feed);
    const behind = new Reader(feed);
    const untrack = [feed.track(ahead), feed.track(behind)];
    log.append(100);
    feed.wake();
    ahead.read(100);
    expect(feed.held.changes).toBe(100);
    behind.read(100);
    // The same records, and with them what was worked out of them (the memo), not copies.
    for (let i = 0; i < 100; i += 1) expect(behind.seen[i]).toBe(ahead.seen[i]);
    // Both have read everything: the next read past the ring's end lets all but the newest go.
    log.append(5);
    feed.wake();
    ahead.read(5);
    expect(feed.held.changes).toBe(10);
    // A reader that is done (closed) holds nothing back.
    untrack[1]!();
    log.append(50);
    feed.wake();
    ahead.read(50);
    expect(feed.held.changes).toBe(10);
    untrack[0]!();
  });

  it('once read keeps the newest of its size, which a reader that starts near the head reads from memory', () => {
    const { log, feed, reader: first } = readerAfter(30);
    const late = new Reader(feed);
    late.seq = 25;
    feed.track(late);
    const reads = log.reads;
    late.read(5);
    expect(log.reads).toBe(reads);
    expect(late.seen[0]).toBe(first.seen[25]);
  });

  it('counts what is remembered on a change it holds, not on a reader\'s own record', () => {
    const { log, feed, reader } = readerAfter(3);
    const before = feed.held.bytes;
    expect(feed.remember(reader.seen[0]!, 'k', 'value', 1000)).toBe('value');
    expect(reader.seen[0]!.memo.get('k')).toBe('value');
    expect(feed.held.bytes).toBe(before + 1000);
    const own: ChangeRecord = { ...log.rows[0]!, memo: new Map() };
    feed.remember(own, 'k', 'value', 1000);
    expect(own.memo.get('k')).toBe('value');
    expect(feed.held.bytes).toBe(before + 1000);
  });

  it('stays within its bytes when a reader stops reading; that reader then reads the log itself, missing nothing', () => {
    const bound = 1024 * 1024;
    const { log, feed } = open(10, bound);
    const stuck = new Reader(feed);
    const reading = new Reader(feed);
    feed.track(stuck);
    feed.track(reading);
    let most = 0;
    for (let round = 0; round < 40; round += 1) {
      log.append(5, 10_000);
      feed.wake();
      reading.read(5);
      // What readers remember on the changes counts too.
      for (const record of reading.seen.slice(-5)) feed.remember(record, 'body', Buffer.alloc(10_000), 10_000);
      most = Math.max(most, feed.held.bytes);
    }
    // 200 changes of 20 kB each were made: 4 MB. The ring held at most its bound.
    expect(most).toBeLessThanOrEqual(bound);
    expect(feed.held.changes).toBeLessThan(60);
    stuck.read(200);
    expect(stuck.seen.map((r) => r.seq)).toEqual(log.rows.map((r) => r.seq));
  });
});
