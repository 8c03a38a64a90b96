/**
 * Pipelining without reading (issue 22, item 2): a client that sends request after request
 * and reads none of the answers used to grow a worker by gigabytes (answers to requests past
 * --max-pending were written "busy" without waiting, and each was logged). Now the
 * connection stops reading its socket while --max-pending operations are queued and every
 * answer waits for the socket to drain: the client's own TCP window fills, the server's
 * memory does not, nothing is logged per request, and once the client reads, every request
 * is answered, in order. Probed with root DSE searches, and with a mix of every operation
 * whose answer takes another path (bind, extended, compare, refused writes, errors).
 */
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRss, logLines, max, median, Reader, rssGrowth, serverRss, settledRss, sleep, usualLatencyBound } from '../helpers/abuse.js';
import { berInteger, berString, decodeMessages, RawConnection, rootDseSearchRequest, tlv, type LdapMessage } from '../helpers/raw-ldap.js';
import { DEFAULT_SUFFIX, startServer, stopAllServers, type TestServer } from '../helpers/server.js';

afterAll(() => stopAllServers());

/** What one process may grow by while a client pipelines without reading: the queue, a few socket buffers, the heap's slack. */
const GROWTH_MIB = 32;
/**
 * How far above where it started a process's memory may stay once the attacker left: the
 * garbage of answering some 100,000 requests, until the collector and the allocator return
 * it (the heap's growth before a collection, not anything kept).
 */
const AFTER_MIB = 40;

/**
 * A batch of requests, `ops` in turn, whose message ids are renumbered by copying: each id
 * is a four-byte INTEGER at a known offset, so the attack costs this process next to nothing
 * (the probe's latencies are measured here too).
 */
class Batch {
  readonly #template: Buffer;
  readonly #idOffsets: number[] = [];

  constructor(ops: Buffer[], count: number) {
    const messages: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < count; i += 1) {
      const op = ops[i % ops.length]!;
      const message = tlv(0x30, Buffer.concat([Buffer.from([0x02, 0x04, 0, 0, 0, 0]), op]));
      this.#idOffsets.push(offset + message.length - op.length - 4);
      messages.push(message);
      offset += message.length;
    }
    this.#template = Buffer.concat(messages);
  }

  get count(): number {
    return this.#idOffsets.length;
  }

  /** The batch with ids from `first`. */
  from(first: number): Buffer {
    const bytes = Buffer.from(this.#template);
    this.#idOffsets.forEach((offset, i) => bytes.writeUInt32BE(first + i, offset));
    return bytes;
  }
}

/** Writes batches until the socket has taken nothing for a second, or `maxBytes` went. */
async function writeUntilBlocked(socket: Socket, batch: Batch, maxBytes: number): Promise<{ bytes: number; requests: number }> {
  let bytes = 0;
  let requests = 0;
  while (bytes < maxBytes) {
    const next = batch.from(requests + 1);
    bytes += next.length;
    requests += batch.count;
    // Let the probe run between batches.
    await new Promise((resolve) => setImmediate(resolve));
    if (!socket.write(next)) {
      const drained = await Promise.race([new Promise<boolean>((resolve) => socket.once('drain', () => resolve(true))), sleep(1000).then(() => false)]);
      if (!drained) break;
    }
  }
  return { bytes, requests };
}

/** Counts the answers arriving on `socket` without keeping them (tens of thousands). */
function countAnswers(socket: Socket, isFinal: (m: LdapMessage) => boolean): { finals: () => number[]; wait: (n: number, ms: number) => Promise<void> } {
  const ids: number[] = [];
  let rest = Buffer.alloc(0);
  let wake = (): void => undefined;
  socket.on('data', (chunk: Buffer) => {
    const decoded = decodeMessages(rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk);
    rest = Buffer.from(decoded.rest);
    for (const m of decoded.messages) if (isFinal(m)) ids.push(m.id);
    wake();
  });
  return {
    finals: () => ids,
    wait: async (n, ms) => {
      const deadline = Date.now() + ms;
      while (ids.length < n && Date.now() < deadline) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 200)));
    },
  };
}

describe('pipelined requests from a client that reads nothing', () => {
  let server: TestServer;
  let reader: Reader;
  let baseline: number[];

  beforeAll(async () => {
    server = await startServer({ args: ['--workers', '1'] });
    reader = await Reader.open(server.port);
    baseline = await reader.reads(30);
  });
  const attackers: RawConnection[] = [];
  afterAll(async () => {
    for (const attacker of attackers) attacker.destroy();
    reader.close();
    await server.stop();
  });

  /** Runs the attack with `makeBatch`; returns what the server accepted and answered. */
  async function attack(name: string, batch: Batch, isFinal: (m: LdapMessage) => boolean): Promise<void> {
    const before = serverRss(server.pid);
    const logBefore = server.logs().split('\n').length;
    const attacker = await RawConnection.open(server.port);
    attackers.push(attacker);
    attacker.socket.pause();
    const { value: sent, latencies } = await reader.during(
      (async () => {
        const written = await writeUntilBlocked(attacker.socket, batch, 75 * 1024 * 1024);
        await sleep(1000);
        return written;
      })(),
    );
    const during = serverRss(server.pid);
    console.log(
      `${name}: the server stopped reading after ${(sent.bytes / 1048576).toFixed(1)} MB (${sent.requests} requests); ${describeRss(before, during)}; ` +
        `another client's reads meanwhile median ${median(latencies).toFixed(2)} ms, max ${max(latencies).toFixed(1)} ms (usually median ${median(baseline).toFixed(2)}, max ${max(baseline).toFixed(1)} ms)`,
    );
    // 75 MB were offered: the kernel's socket buffers hold a few, the server no more than its queue.
    expect(sent.bytes).toBeLessThan(24 * 1024 * 1024);
    for (const growth of rssGrowth(before, during)) expect(growth).toBeLessThan(GROWTH_MIB);
    // Served as usual, not after the flood.
    expect(latencies.length).toBeGreaterThan(10);
    expect(max(latencies)).toBeLessThan(usualLatencyBound(baseline));
    // Not a line per request: none at all, in fact.
    const newLines = server.logs().split('\n').slice(logBefore - 1);
    expect(newLines.filter((line) => /busy|connection 127/.test(line))).toEqual([]);

    // Once the client reads, every request is answered, in order.
    const answers = countAnswers(attacker.socket, isFinal);
    attacker.socket.resume();
    await answers.wait(sent.requests, 60_000);
    const ids = answers.finals();
    expect(ids.length).toBe(sent.requests);
    expect(ids.every((id, i) => id === i + 1)).toBe(true);
    attacker.destroy();
    const after = await settledRss(server.pid, before, AFTER_MIB);
    console.log(`${name}: after the client left, ${describeRss(before, after)}`);
    for (const growth of rssGrowth(before, after)) expect(growth).toBeLessThan(AFTER_MIB);
    expect(logLines(server, /busy/)).toEqual([]);
  }

  it('root DSE searches: reading stops at --max-pending, memory stays bounded, every search is answered in order once the client reads', async () => {
    const search = rootDseSearchRequest(1);
    // The protocol op of the request: what follows its message id (02 01 01).
    await attack('root DSE searches', new Batch([search.subarray(search.indexOf(Buffer.from([0x02, 0x01, 0x01])) + 3)], 1000), (m) => m.tag === 0x65);
  }, 120_000);

  it('every kind of answer (bind, extended, compare, refused writes, unsupported operations) waits for the client to read', async () => {
    const dn = `cn=nobody,${DEFAULT_SUFFIX}`;
    const ops = [
      // An anonymous bind.
      tlv(0x60, Buffer.concat([berInteger(3), berString(''), berString('', 0x80)])),
      // Who am I? (RFC 4532)
      tlv(0x77, berString('1.3.6.1.4.1.4203.1.11.3', 0x80)),
      // An extended operation the server does not offer: an error answer.
      tlv(0x77, berString('1.2.3.4.5', 0x80)),
      tlv(0x6e, Buffer.concat([berString(DEFAULT_SUFFIX), tlv(0x30, Buffer.concat([berString('o'), berString('Intranet')]))])),
      // Anonymous writes are refused: add, delete, modify.
      tlv(0x68, Buffer.concat([berString(dn), tlv(0x30, tlv(0x30, Buffer.concat([berString('objectClass'), tlv(0x31, berString('person'))])))])),
      berString(dn, 0x4a),
      tlv(0x66, Buffer.concat([berString(dn), tlv(0x30, tlv(0x30, Buffer.concat([berInteger(2, 0x0a), tlv(0x30, Buffer.concat([berString('cn'), tlv(0x31, berString('x'))]))])))])),
      tlv(0x63, Buffer.concat([berString(''), berInteger(0, 0x0a), berInteger(0, 0x0a), berInteger(0), berInteger(0), tlv(0x01, [0]), berString('objectClass', 0x87), tlv(0x30, Buffer.alloc(0))])),
    ];
    await attack('mixed operations', new Batch(ops, 800), (m) => m.tag !== 0x64);
  }, 120_000);
});
