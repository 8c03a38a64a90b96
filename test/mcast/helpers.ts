/**
 * An in-process MADCAP server on 127.0.0.1 (free port, temporary database) and a raw UDP
 * peer for sending hand-made datagrams. Every test stops what it starts.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/log.js';
import { Allocator } from '../../src/mcast/allocator.js';
import { decodeMessage, encodeMessage, type MadcapMessage } from '../../src/mcast/codec.js';
import type { Retransmission } from '../../src/mcast/client.js';
import type { MulticastScope } from '../../src/mcast/scopes.js';
import { MadcapServer, type MadcapServerOptions } from '../../src/mcast/server.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';

/** Quick retransmission for tests: 100 ms, doubling, four sends. */
export const FAST: Retransmission = { initialMs: 100, maxIntervalMs: 800, attempts: 4 };

/** A logger that keeps its lines. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) };
}

/** A MADCAP server under test, restartable on the same database file. */
export interface TestMadcap {
  readonly server: MadcapServer;
  readonly allocator: Allocator;
  readonly log: ReturnType<typeof memoryLogger>;
  /** `127.0.0.1:PORT` of the current run. */
  readonly address: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMadcap(scopes: readonly MulticastScope[], options: Pick<MadcapServerOptions, 'maxClockSkew'> = {}): Promise<TestMadcap> {
  const dir = mkdtempSync(join(tmpdir(), 'rendezvous-madcap-'));
  const log = memoryLogger();
  let db: SqliteDatabase;
  let allocator: Allocator;
  let server: MadcapServer;
  const start = async (): Promise<void> => {
    db = openDatabase(join(dir, 'r.db'));
    allocator = new Allocator(db, scopes);
    server = await MadcapServer.start({ host: '127.0.0.1', port: 0, allocator, log, ...options });
  };
  const close = async (): Promise<void> => {
    await server.close();
    db.close();
  };
  await start();
  return {
    get server() {
      return server;
    },
    get allocator() {
      return allocator;
    },
    log,
    get address() {
      return `127.0.0.1:${server.address.port}`;
    },
    restart: async () => {
      await close();
      await start();
    },
    stop: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw UDP peer: send bytes, collect what comes back. */
export interface RawPeer {
  send(bytes: Buffer | MadcapMessage): void;
  /** The next datagram, or undefined after `ms`. */
  next(ms?: number): Promise<Buffer | undefined>;
  /** The next datagram decoded; throws when none comes or it is malformed. */
  reply(ms?: number): Promise<MadcapMessage>;
  close(): void;
}

export async function rawPeer(port: number): Promise<RawPeer> {
  const socket: Socket = createSocket('udp4');
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (b) => {
    const w = waiters.shift();
    if (w) w(b);
    else queue.push(b);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const next = (ms = 1000): Promise<Buffer | undefined> => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(done), 1);
        resolve(undefined);
      }, ms);
      const done = (b: Buffer): void => {
        clearTimeout(timer);
        resolve(b);
      };
      waiters.push(done);
    });
  };
  return {
    send: (bytes) => socket.send(Buffer.isBuffer(bytes) ? bytes : encodeMessage(bytes), port, '127.0.0.1'),
    next,
    reply: async (ms) => {
      const b = await next(ms);
      if (!b) throw new Error('no reply');
      const d = decodeMessage(b);
      if (!d.ok) throw new Error(`malformed reply: ${d.reason}`);
      return d.message;
    },
    close: () => socket.close(),
  };
}

/**
 * A UDP relay in front of a server that drops the first `drop` datagrams from the client,
 * to show that the client retransmits.
 */
export async function lossyRelay(target: number, drop: number): Promise<{ port: number; dropped: () => number; close(): void }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  let client: { address: string; port: number } | undefined;
  let dropped = 0;
  front.on('message', (b, peer) => {
    client = { address: peer.address, port: peer.port };
    if (dropped < drop) {
      dropped += 1;
      return;
    }
    back.send(b, target, '127.0.0.1');
  });
  back.on('message', (b) => {
    if (client) front.send(b, client.port, client.address);
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    dropped: () => dropped,
    close: () => {
      front.close();
      back.close();
    },
  };
}
