/**
 * The live-update workloads (`--live`): what RFC 4533 watchers and a slapd read replica get
 * from Rendezvous while it is written to.
 *
 *  - latency: N refreshAndPersist watchers (watcher processes, live-watcher.ts) follow the
 *    conferences while writes (adds, then modifies, of new conferences) go in at a fixed rate;
 *    each change is timed from its write's acknowledgement to its arrival at each watcher.
 *    Measured against Rendezvous, and (`--live-provider slapd`) against slapd with syncprov
 *    loaded with the same data, the reference for the target.
 *  - replication: a stock slapd replicates Rendezvous (syncrepl refreshAndPersist) while writes
 *    go in at a fixed rate; the replica is polled for the newest acknowledged write until it
 *    has it, then for the newest again: each probe's time from acknowledgement to visible is a
 *    lag sample.
 *  - memory: Rendezvous's resident memory before and after 1,000 idle watchers open (started
 *    afresh for it), and the
 *    equality search workload (harness, 8 connections) with them open and without, after a
 *    cell not counted, in rounds of without, with, with, without.
 *
 * Everything written is deleted again after each cell, so the data set stays as loaded.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Slapd } from '../test/helpers/slapd.js';
import { LoadConnection, resultCode } from './connection.js';
import { conference, conferenceDn, CONTAINER, SUFFIX, type DataSet } from './data.js';
import { expectMessage, measure, type Measurement } from './harness.js';
import { Histogram } from './histogram.js';
import type { LivePart, ReplicaMode } from './options.js';
import type { Target } from './workloads.js';
import { now, pacedWrites, writerPool, type PacedResult } from './paced-writer.js';
import { cpuByProcess, cpuSeconds, machineCpuSeconds, processCpuSeconds, peakRssMiB, resetPeakRss, rssMiB, samplePeakResident } from './proc.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { addOp, deleteOp, replaceOp, Scope, searchOp, syncControl, type Filter } from './requests.js';
import type { RendezvousProcess } from './servers.js';
import { benchSlapdThreads, startBenchConsumer, consumerSyncrepl } from './servers.js';
import type { WatcherResult, WatcherTask } from './live-watcher.js';
import { decodeSyncDone, Op, readTlv, SYNC_DONE_OID } from '../src/protocol/index.js';

/** What the live workloads need of the run. */
export interface LiveContext {
  set: DataSet;
  parts: readonly LivePart[];
  watcherCounts: readonly number[];
  rate: number;
  replicationRate: number;
  replicationSeconds: number;
  replicaModes: readonly ReplicaMode[];
  /** The providers each latency cell is measured against, in turn. */
  providers: readonly Target[];
  /** slapd with syncprov, loaded with the data set (when `providers` names slapd), and its slapd.conf as printed. */
  slapd?: { port: number; pid: number; bind: { dn: string; password: string }; config: string };
  warmupMs: number;
  /** Writes of each latency cell before its measured window (ms), `--live-warmup`. */
  latencyWarmupMs: number;
  /** Runs of the largest latency cell, `--live-repeat`. */
  latencyRepeat: number;
  durationMs: number;
  /** Most watcher processes per cell. */
  processes: number;
  profile: boolean;
  seed: number;
  admin: { dn: string; password: string };
  /** The running server. */
  server(): RendezvousProcess;
  /** Restarts the server with these node flags (e.g. --cpu-prof); [] restores it. */
  restart(nodeFlags: readonly string[]): Promise<RendezvousProcess>;
  /** Scratch directory, and the build's root (stripped from profile paths). */
  dir: string;
  serverDir: string;
  log(line: string): void;
}

/** One notification-latency cell. */
export interface LatencyCell {
  /** The server the watchers follow and the writes go to. */
  provider: Target;
  watchers: number;
  connections: number;
  writes: PacedResult;
  /** Acknowledgement → arrival and sending → arrival at the watchers, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same p99 over the warm-up's writes (not measured against the target): the processes' cold start. */
  warmupP99Ms: number;
  sentP50Ms: number;
  sentP99Ms: number;
  /** Changes delivered to watchers (measured writes × watchers expected). */
  delivered: number;
  expected: number;
  beforeAck: number;
  deliveriesPerSecond: number;
  megabytesPerSecond: number;
  ended: Record<string, number>;
  presentPhases: number;
  serverCpuPercent: number;
  serverPeakRssMiB: number;
  serverPeakTogetherMiB: number;
  clientCpuPercent: number;
  otherCpuPercent: number;
  /** The same CPU by process, % of one core: where the server's and the clients' time went. */
  cpuByProcess: CpuByProcess;
  seconds: number;
  /** The machine's 1-minute load average at the end of the cell. */
  load: number;
}

/** A cell's CPU by process, % of one core over the writes. */
export interface CpuByProcess {
  /** The primary (the writing process) alone; slapd's process (all its threads) when it is the provider. */
  primary: number;
  /** Each worker process, in pid order. */
  workers: number[];
  /** Each watcher process. */
  watchers: number[];
  /** This process: the paced writers, and the acknowledgements passed to the watchers. */
  writers: number;
}

/** CPU seconds so far of each process a latency cell involves (the shape of {@link CpuByProcess}, in seconds). */
function cellCpu(serverPid: number, children: readonly ChildProcess[]): CpuByProcess {
  const server = cpuByProcess(serverPid);
  const own = process.cpuUsage();
  return { primary: server.own, workers: server.children, watchers: children.map((c) => processCpuSeconds(c.pid ?? -1)), writers: (own.user + own.system) / 1e6 };
}

export interface ReplicationResult {
  initialSyncSeconds: number;
  writes: PacedResult;
  seconds: number;
  /** Probes: acknowledgement on Rendezvous → visible on the replica, ms. */
  probes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the last write's acknowledgement until the replica had it (its probe found it). */
  catchUpMs: number;
  serverCpuPercent: number;
  consumerCpuPercent: number;
  otherCpuPercent: number;
  load: number;
  syncrepl: string;
  dbnosync: boolean;
}

export interface MemoryResult {
  watchers: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  togetherBeforeMiB: number;
  togetherAfterMiB: number;
  /** Equality search, 8 connections, in the order run: rounds of without, with, with, without. */
  cells: Array<{ watchers: number; search: Measurement }>;
  load: number;
}

export interface LiveReport {
  latency: LatencyCell[];
  /** The slapd.conf of the slapd provider, when latency cells measured it. */
  slapdConfig?: string;
  profile?: ProfileSummary & { watchers: number; p99Ms: number };
  /** One per replica configuration measured. */
  replication: ReplicationResult[];
  memory?: MemoryResult;
  notes: string[];
}

/** The latency target at the largest watcher count (issue 23). */
export const LATENCY_TARGET_MS = 50;
/** Watchers on one connection: within the server's default per-connection limit (64). */
const PER_CONNECTION = 50;
/** Connections the paced writes go out on. */
/**
 * Connections the paced writes go out on, each with one write outstanding: the rate a cell
 * reaches is at most this many over the write latency, so with 8 a write latency of 16 ms (a
 * busy group commit) already held 500 writes/s back; a directory's writers are many clients.
 */
const WRITE_CONNECTIONS = 64;
/** How long watchers get after the last write for its change to arrive. */
const GRACE_MS = 15_000;
/** Every watcher follows the conferences (and people) of the container: all changes. */
const WATCH_FILTER: Filter = { equal: ['objectClass', 'rtConference'] };

const WATCHER = fileURLToPath(new URL('./live-watcher.js', import.meta.url));

/**
 * Writes between the add of an entry and its modify, so the add is usually answered before
 * the modify is due and the modify need not wait for it (pacedWrites waits when it is not:
 * 200 writes apart, modifies failed with noSuchObject before it did, and 2,000, 4 s at
 * 500/s, was not enough once, in a run whose writes queued for seconds).
 */
const MODIFY_DISTANCE = 2000;

/** A cell's writes: adds of new conferences `uid=live<cell>-J`, and modifies of each, {@link MODIFY_DISTANCE} writes later. */
interface Plan {
  ops: Buffer[];
  /** The DN each write is about. */
  targets: string[];
  /** Entries added, to delete afterwards. */
  dns: string[];
  prefix: string;
  /** By slot J: the write that adds it, the write that modifies it (-1: none). */
  addSeq: number[];
  modifySeq: number[];
  /** By write: the write it waits for (a modify, its add's), -1 for none (pacedWrites's `after`). */
  after: number[];
}

/**
 * Every write carries its number in contactInformation (`live <seq>`), where the replica's
 * probe finds it. slapd's adds carry the attributes Rendezvous derives from the blob, as in
 * the other workloads (data.ts).
 */
function plan(set: DataSet, cell: number, count: number, target: Target = 'rendezvous'): Plan {
  const p: Plan = { ops: [], targets: [], dns: [], prefix: `uid=live${cell}-`, addSeq: [], modifySeq: [], after: [] };
  const distance = MODIFY_DISTANCE / 2;
  let modified = 0;
  for (let seq = 0; seq < count; seq += 1) {
    const marker: [string, string[]] = ['contactInformation', [`live ${seq}`]];
    if (seq % 2 === 1 && modified < p.dns.length - distance) {
      const dn = p.dns[modified]!;
      p.after.push(p.addSeq[modified]!);
      p.modifySeq[modified++] = seq;
      p.ops.push(replaceOp(dn, [marker]));
      p.targets.push(dn);
      continue;
    }
    const j = p.dns.length;
    const entry = conference(set, set.conferences + 200_000 + cell * 100_000 + j, `live${cell}-${j}`);
    p.dns.push(entry.dn);
    p.addSeq.push(seq);
    p.modifySeq.push(-1);
    p.after.push(-1);
    p.ops.push(addOp(entry.dn, [...entry.attributes, ...(target === 'slapd' ? entry.derived : []), marker]));
    p.targets.push(entry.dn);
  }
  return p;
}

/** Deletes what a plan added. */
async function removeWritten(pool: readonly LoadConnection[], dns: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    pool.map(async (c) => {
      while (next < dns.length) await c.request(deleteOp(dns[next++]!));
    }),
  );
}

/** A cookie for now: a refreshOnly sync of a search that matches nothing ends with one (Sync Done). */
async function currentCookie(port: number): Promise<string> {
  const connection = await LoadConnection.open(port);
  try {
    return await new Promise<string>((resolve, reject) => {
      connection.live(searchOp(CONTAINER, Scope.one, { equal: ['uid', 'no-such-conference'] }), [syncControl({ mode: 'refreshOnly', reloadHint: false })], (pdu, op, _start, end) => {
        if (op.tag !== Op.searchResultDone) return;
        const code = resultCode(pdu, op);
        if (code !== 0) return reject(new Error(`a refreshOnly sync search failed with result code ${code}`));
        const controls = op.end < end ? readTlv(pdu, op.end, end) : undefined;
        for (let at = controls?.start ?? 0; controls && at < controls.end; ) {
          const control = readTlv(pdu, at, controls.end);
          at = control.end;
          const oid = readTlv(pdu, control.start, control.end);
          if (pdu.toString('latin1', oid.start, oid.end) !== SYNC_DONE_OID) continue;
          const value = readTlv(pdu, oid.end, control.end);
          const cookie = decodeSyncDone(pdu.subarray(value.start, value.end)).cookie;
          if (cookie) return resolve(cookie.toString('utf8'));
        }
        reject(new Error('the refreshOnly sync search ended without a cookie'));
      });
    });
  } finally {
    connection.close();
  }
}

/** The values of one attribute in a kept SearchResultEntry PDU. */
function entryValues(pdu: Buffer, attribute: string): string[] {
  const envelope = readTlv(pdu, 0);
  const id = readTlv(pdu, envelope.start, envelope.end);
  const op = readTlv(pdu, id.end, envelope.end);
  const dn = readTlv(pdu, op.start, op.end);
  const list = readTlv(pdu, dn.end, op.end);
  for (let at = list.start; at < list.end; ) {
    const a = readTlv(pdu, at, list.end);
    at = a.end;
    const type = readTlv(pdu, a.start, a.end);
    if (pdu.toString('utf8', type.start, type.end).toLowerCase() !== attribute.toLowerCase()) continue;
    const set = readTlv(pdu, type.end, a.end);
    const values: string[] = [];
    for (let v = set.start; v < set.end; ) {
      const value = readTlv(pdu, v, set.end);
      v = value.end;
      values.push(pdu.toString('utf8', value.start, value.end));
    }
    return values;
  }
  return [];
}

/** A suffix's contextCSN (its newest, when several). */
async function contextCsn(connection: LoadConnection): Promise<string> {
  const { entries } = await connection.search(searchOp(SUFFIX, Scope.base, { present: 'objectClass' }, ['contextCSN']));
  return entries.flatMap((e) => entryValues(e, 'contextCSN')).sort().at(-1) ?? '';
}

type ChildMessage = { type: 'ready' } | { type: 'error'; message: string } | { type: 'result'; result: WatcherResult };

const expect = <T extends ChildMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> => expectMessage<ChildMessage, T>(child, type, timeoutMs, 'watcher process');

/** Watcher processes holding `watchers` live searches, `perConnection` on a connection; resolves once all are past their refresh phase. */
async function openWatchers(port: number, watchers: number, processes: number, task: Omit<WatcherTask, 'port' | 'watchers' | 'perConnection' | 'cookie'>, perConnection = PER_CONNECTION): Promise<ChildProcess[]> {
  const cookie = await currentCookie(port);
  const connections = Math.ceil(watchers / perConnection);
  const count = Math.max(1, Math.min(processes, connections));
  const children: ChildProcess[] = [];
  try {
    for (let p = 0; p < count; p += 1) {
      // Whole connections per process, the last process taking what is left.
      const share = p < count - 1 ? Math.ceil(connections / count) * perConnection : watchers - (count - 1) * Math.ceil(connections / count) * perConnection;
      const child = fork(WATCHER, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.send({ type: 'prepare', task: { ...task, port, watchers: Math.min(share, watchers), perConnection, cookie } satisfies WatcherTask });
    }
    await Promise.all(children.map((c) => expect(c, 'ready', 300_000)));
    return children;
  } catch (error) {
    closeWatchers(children);
    throw error;
  }
}

function closeWatchers(children: readonly ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

const cpuOf = (children: readonly ChildProcess[]): number => children.reduce((sum, c) => sum + cpuSeconds(c.pid ?? -1), 0);
const ms = (h: Histogram, q: number): number => h.quantile(q) / 1000;

/** A server the latency cells measure: where the watchers and writers connect, whose CPU counts, whom the writers bind as. */
interface Provider {
  name: Target;
  port: number;
  pid: number;
  bind: { dn: string; password: string };
  /** Watchers on one connection. */
  perConnection: number;
}

/**
 * Watchers on one connection of slapd: it runs at most half its `threads` operations of a
 * connection at once and defers the others until one ends (connection.c, "too many
 * executing"), and a persistent search never ends: a ninth on a connection of a slapd with 16
 * threads is never answered.
 */
export const SLAPD_PER_CONNECTION = Math.floor(benchSlapdThreads() / 2);

/** The provider of that name as it runs now (Rendezvous may have been restarted). */
function providerOf(ctx: LiveContext, name: Target): Provider {
  if (name === 'rendezvous') {
    const server = ctx.server();
    return { name, port: server.port, pid: server.pid, bind: ctx.admin, perConnection: PER_CONNECTION };
  }
  if (!ctx.slapd) throw new Error('no slapd provider was started');
  const { port, pid, bind } = ctx.slapd;
  return { name, port, pid, bind, perConnection: SLAPD_PER_CONNECTION };
}

/** One notification-latency cell with `watchers` watchers of `server`. */
async function latencyCell(ctx: LiveContext, server: Provider, watchers: number, cell: number): Promise<LatencyCell> {
  const count = Math.round((ctx.rate * (ctx.latencyWarmupMs + ctx.durationMs)) / 1000);
  const first = Math.ceil((ctx.rate * ctx.latencyWarmupMs) / 1000);
  const { ops, prefix, dns, addSeq, modifySeq, after } = plan(ctx.set, cell, count, server.name);
  const children = await openWatchers(server.port, watchers, ctx.processes, { base: CONTAINER, filter: WATCH_FILTER, prefix, addSeq, modifySeq, first, last: count - 1 }, server.perConnection);
  const pool = await writerPool(server.port, WRITE_CONNECTIONS, server.bind);
  try {
    let acks: Array<[number, number, number]> = [];
    const flush = (): void => {
      if (acks.length === 0) return;
      for (const c of children) c.send({ type: 'acks', acks });
      acks = [];
    };
    const flusher = setInterval(flush, 10);
    const startAt = now() + 300;
    const windowStart = startAt + ctx.latencyWarmupMs;
    let begin: { server: number; clients: number; machine: number; at: number; parts: CpuByProcess } | undefined;
    let together: { stop(): number } | undefined;
    const sampleAt = setTimeout(() => {
      resetPeakRss(server.pid);
      together = samplePeakResident(server.pid);
      begin = { server: cpuSeconds(server.pid), clients: cpuOf(children), machine: machineCpuSeconds().busy, at: now(), parts: cellCpu(server.pid, children) };
    }, windowStart - now());
    // Only writes that succeeded make changes: the others are neither sent to the watchers nor expected.
    let succeeded = 0;
    const onAck = (seq: number, sentAt: number, ackAt: number, code: number): void => {
      if (code !== 0) return;
      acks.push([seq, sentAt, ackAt]);
      if (seq >= first) succeeded += 1;
    };
    const writes = await pacedWrites(pool, ops, ctx.rate, startAt, onAck, after);
    clearTimeout(sampleAt);
    const end = { server: cpuSeconds(server.pid), clients: cpuOf(children), machine: machineCpuSeconds().busy, at: now(), parts: cellCpu(server.pid, children) };
    const peak = peakRssMiB(server.pid);
    const peakTogether = together?.stop() ?? Number.NaN;
    flush();
    clearInterval(flusher);
    const results = await Promise.all(
      children.map((c) => {
        const r = expect(c, 'result', GRACE_MS + 60_000);
        c.send({ type: 'finish', graceMs: GRACE_MS, writes: succeeded });
        return r;
      }),
    );
    const afterAck = new Histogram();
    const afterSend = new Histogram();
    const warmupAfterAck = new Histogram();
    const ended: Record<string, number> = {};
    let delivered = 0;
    let beforeAck = 0;
    let messages = 0;
    let bytes = 0;
    let presentPhases = 0;
    for (const { result } of results) {
      afterAck.add(result.afterAck);
      afterSend.add(result.afterSend);
      warmupAfterAck.add(result.warmupAfterAck);
      delivered += result.delivered;
      beforeAck += result.beforeAck;
      messages += result.messages;
      bytes += result.bytes;
      presentPhases += result.presentPhases;
      for (const [code, n] of Object.entries(result.ended)) ended[code] = (ended[code] ?? 0) + n;
    }
    const b = begin ?? end;
    const seconds = (end.at - b.at) / 1000;
    const percent = (cpu: number): number => (100 * cpu) / seconds;
    // The writes' own duration (first sent to last answered), longer than planned when the rate was not kept.
    const writeSeconds = writes.writes / writes.rate;
    return {
      provider: server.name,
      watchers,
      connections: Math.ceil(watchers / server.perConnection),
      writes,
      p50Ms: ms(afterAck, 0.5),
      p99Ms: ms(afterAck, 0.99),
      maxMs: ms(afterAck, 1),
      warmupP99Ms: ms(warmupAfterAck, 0.99),
      sentP50Ms: ms(afterSend, 0.5),
      sentP99Ms: ms(afterSend, 0.99),
      delivered,
      expected: watchers * succeeded,
      beforeAck,
      deliveriesPerSecond: messages / writeSeconds,
      megabytesPerSecond: bytes / 2 ** 20 / writeSeconds,
      ended,
      presentPhases,
      serverCpuPercent: percent(end.server - b.server),
      serverPeakRssMiB: peak,
      serverPeakTogetherMiB: peakTogether,
      clientCpuPercent: percent(end.clients - b.clients),
      otherCpuPercent: Math.max(0, percent(end.machine - b.machine - (end.server - b.server) - (end.clients - b.clients))),
      cpuByProcess: {
        primary: percent(end.parts.primary - b.parts.primary),
        workers: end.parts.workers.map((w, i) => percent(w - (b.parts.workers[i] ?? 0))),
        watchers: end.parts.watchers.map((w, i) => percent(w - (b.parts.watchers[i] ?? 0))),
        writers: percent(end.parts.writers - b.parts.writers),
      },
      seconds,
      load: loadavg()[0]!,
    };
  } finally {
    closeWatchers(children);
    await removeWritten(pool, dns);
    for (const c of pool) c.close();
  }
}

/** How far a slapd replica is behind Rendezvous under paced writes. */
async function replication(ctx: LiveContext, cell: number, dbnosync: boolean): Promise<ReplicationResult> {
  const provider = ctx.server();
  const started = now();
  const consumer: Slapd = await startBenchConsumer(provider.port, ctx.admin, dbnosync);
  const probe = await LoadConnection.open(consumer.port);
  const source = await LoadConnection.open(provider.port);
  const pool = await writerPool(provider.port, WRITE_CONNECTIONS, ctx.admin);
  const count = Math.round((ctx.replicationRate * (ctx.warmupMs + ctx.replicationSeconds * 1000)) / 1000);
  const { ops, dns, targets, modifySeq, after } = plan(ctx.set, cell, count);
  try {
    // The initial refresh: until the replica's contextCSN is Rendezvous's.
    for (;;) {
      const [theirs, ours] = [await contextCsn(probe), await contextCsn(source)];
      if (theirs !== '' && theirs >= ours) break;
      if (now() - started > 30 * 60_000) throw new Error(`the replica was not in step 30 minutes after it started (contextCSN ${theirs || 'none'}, Rendezvous ${ours})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const initialSyncSeconds = (now() - started) / 1000;
    ctx.log(`live replication: replica in step after ${initialSyncSeconds.toFixed(1)} s`);

    const lag = new Histogram();
    /** By write: when it was acknowledged; NaN for a write that failed (it changed nothing). */
    const acked: Array<number | undefined> = [];
    /** The newest write such that it and all before it are answered. */
    let newest = -1;
    /** The newest successful write up to `newest`. */
    let newestOk = -1;
    let writing = true;
    const startAt = now() + 300;
    const windowStart = startAt + ctx.warmupMs;
    // An add is on the replica when its entry is (it may carry its modify already); a modify
    // when a base search finds the entry with the modify's contactInformation.
    const modifies = new Set(modifySeq);
    const visible = async (seq: number): Promise<boolean> => {
      const filter: Filter = modifies.has(seq) ? { equal: ['contactInformation', `live ${seq}`] } : { present: 'objectClass' };
      const { code, entries } = await probe.search(searchOp(targets[seq]!, Scope.base, filter, ['1.1']));
      return code === 0 && entries.length === 1;
    };
    // Every 20 ms the newest acknowledged write joins a queue of samples; the oldest sample is
    // searched for on the replica until it is there (syncrepl applies changes in order, so
    // the ones after it are searched for next): its lag is acknowledgement → first found.
    const queue: number[] = [];
    const sampler = setInterval(() => {
      if (newestOk >= 0 && newestOk !== queue.at(-1)) queue.push(newestOk);
    }, 20);
    const prober = (async () => {
      let samples = 0;
      let lastSeen = now();
      for (;;) {
        const seq = queue[0];
        if (seq === undefined) {
          if (!writing) return { samples, catchUp: lastSeen };
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        if (!(await visible(seq))) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        lastSeen = now();
        queue.shift();
        if (acked[seq]! >= windowStart) {
          lag.record((lastSeen - acked[seq]!) * 1000);
          samples += 1;
        }
      }
    })();
    let begin: { server: number; consumer: number; machine: number; at: number } | undefined;
    const sampleAt = setTimeout(() => (begin = { server: cpuSeconds(provider.pid), consumer: cpuSeconds(consumer.pid), machine: machineCpuSeconds().busy, at: now() }), windowStart - now());
    const onAck = (seq: number, _sentAt: number, ackAt: number, code: number): void => {
      acked[seq] = code === 0 ? ackAt : Number.NaN;
      while (acked[newest + 1] !== undefined) {
        newest += 1;
        if (!Number.isNaN(acked[newest])) newestOk = newest;
      }
    };
    const writes = await pacedWrites(pool, ops, ctx.replicationRate, startAt, onAck, after);
    clearTimeout(sampleAt);
    const end = { server: cpuSeconds(provider.pid), consumer: cpuSeconds(consumer.pid), machine: machineCpuSeconds().busy, at: now() };
    // The last write is the last sample: the replica has caught up when it has it.
    clearInterval(sampler);
    if (newestOk >= 0 && newestOk !== queue.at(-1)) queue.push(newestOk);
    writing = false;
    const lastAck = acked[newestOk]!;
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the replica did not get the last write within 10 minutes')), 600_000).unref());
    const { samples, catchUp } = await Promise.race([prober, timeout]);
    const b = begin ?? end;
    const seconds = (end.at - b.at) / 1000;
    const percent = (cpu: number): number => (100 * cpu) / seconds;
    return {
      initialSyncSeconds,
      writes,
      seconds,
      probes: samples,
      p50Ms: ms(lag, 0.5),
      p99Ms: ms(lag, 0.99),
      maxMs: ms(lag, 1),
      catchUpMs: catchUp - lastAck,
      serverCpuPercent: percent(end.server - b.server),
      consumerCpuPercent: percent(end.consumer - b.consumer),
      otherCpuPercent: Math.max(0, percent(end.machine - b.machine - (end.server - b.server) - (end.consumer - b.consumer))),
      load: loadavg()[0]!,
      dbnosync,
      syncrepl: consumerSyncrepl(provider.port, { dn: ctx.admin.dn, password: '…' }).replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT'),
    };
  } finally {
    probe.close();
    source.close();
    await consumer.stop();
    await removeWritten(pool, dns);
    for (const c of pool) c.close();
  }
}

/**
 * Rounds of the idle-watchers comparison, each without, with, with, without: cells of this
 * workload drift by several per cent over minutes here (caches, JIT, the host), which one
 * round could read as a cost or a gain of the watchers; with two rounds the means of four
 * cells each still differed by -9 to +14% from run to run on the same code.
 */
const MEMORY_ROUNDS = 4;

/** Memory per idle watcher, and search throughput with 1,000 idle watchers and without. */
async function memory(ctx: LiveContext, watchers: number): Promise<MemoryResult> {
  // Memory per watcher on a server just started: after the cells before it, the processes
  // held garbage a collection could return at any moment, and the difference read -4 to -8 KiB
  // a watcher. Started afresh, what grows is what the watchers cost (their connections and
  // searches, and the code that serves them compiled).
  const server = await ctx.restart([]);
  const equality = (): Promise<Measurement> =>
    measure({ port: server.port, serverPid: server.pid, target: 'rendezvous', workload: 'equality', connections: 8, processes: ctx.processes, set: ctx.set, seed: ctx.seed, bind: undefined, warmupMs: ctx.warmupMs, durationMs: ctx.durationMs });
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 3000));
  const result: MemoryResult = { watchers, rssBeforeMiB: 0, rssAfterMiB: 0, togetherBeforeMiB: 0, togetherAfterMiB: 0, cells: [], load: Number.NaN };
  const open = (): ReturnType<typeof openWatchers> => openWatchers(server.port, watchers, ctx.processes, { base: CONTAINER, filter: WATCH_FILTER, prefix: 'uid=none-', addSeq: [], modifySeq: [], first: 1, last: 0 });
  await settle();
  result.rssBeforeMiB = rssMiB(server.pid);
  result.togetherBeforeMiB = samplePeakResident(server.pid).stop();
  const first = await open();
  try {
    await settle();
    result.rssAfterMiB = rssMiB(server.pid);
    result.togetherAfterMiB = samplePeakResident(server.pid).stop();
    ctx.log(`live memory: ${watchers} idle watchers: RSS ${result.rssBeforeMiB.toFixed(0)} → ${result.rssAfterMiB.toFixed(0)} MiB`);
  } finally {
    closeWatchers(first);
  }
  await settle();
  // Not counted: the first cell of a workload after the latency cells ran faster with each
  // second (the server's caches and compiled code for it), which would count for the watchers.
  await equality();
  for (let round = 0; round < MEMORY_ROUNDS; round += 1) {
    result.cells.push({ watchers: 0, search: await equality() });
    await settle();
    const children = await open();
    try {
      await settle();
      result.cells.push({ watchers, search: await equality() });
      result.cells.push({ watchers, search: await equality() });
    } finally {
      closeWatchers(children);
    }
    await settle();
    result.cells.push({ watchers: 0, search: await equality() });
  }
  result.load = loadavg()[0]!;
  return result;
}

/** Runs the live workloads asked for; a part that fails leaves a note, not a failed run. */
export async function runLive(ctx: LiveContext): Promise<LiveReport> {
  const report: LiveReport = { latency: [], replication: [], notes: [] };
  let cell = 0;
  if (ctx.parts.includes('latency')) {
    if (ctx.providers.includes('slapd')) report.slapdConfig = ctx.slapd?.config;
    // The providers take turns at each watcher count; the largest count, which the target is
    // about, runs `latencyRepeat` times.
    const most = Math.max(...ctx.watcherCounts);
    for (const watchers of ctx.watcherCounts) for (let run = 0; run < (watchers === most ? ctx.latencyRepeat : 1); run += 1) for (const name of ctx.providers) {
      try {
        const c = await latencyCell(ctx, providerOf(ctx, name), watchers, cell++);
        report.latency.push(c);
        const p = c.cpuByProcess;
        ctx.log(`live latency ${name} ×${watchers}: p50 ${c.p50Ms.toFixed(2)} ms p99 ${c.p99Ms.toFixed(2)} ms (warm-up p99 ${c.warmupP99Ms.toFixed(2)} ms); ${c.delivered}/${c.expected} delivered (${c.beforeAck} before the ack); writes ${Math.round(c.writes.rate)}/s p99 ${ms(c.writes.latency, 0.99).toFixed(1)} ms${Object.keys(c.writes.errors).length ? ` errors ${JSON.stringify(c.writes.errors)}` : ''}; server CPU ${Math.round(c.serverCpuPercent)}% (${name === 'slapd' ? 'slapd' : 'primary'} ${Math.round(p.primary)}${p.workers.length ? `, workers ${p.workers.map(Math.round).join('+')}` : ''}), watchers ${p.watchers.map(Math.round).join('+')}%, writers ${Math.round(p.writers)}%; ended ${JSON.stringify(c.ended)}`);
      } catch (error) {
        report.notes.push(`Latency of ${name} with ${watchers} watchers failed: ${(error as Error).message.split('\n')[0]}`);
        ctx.log(`live latency ${name} ×${watchers}: FAILED ${(error as Error).stack}`);
      }
    }
    const largest = report.latency.filter((c) => c.provider === 'rendezvous' && c.watchers === most);
    if (ctx.profile && largest.some((c) => !(c.p99Ms < LATENCY_TARGET_MS) || c.delivered < c.expected)) {
      try {
        report.profile = await profileCell(ctx, most, cell++);
        ctx.log(`live profile ×${most}: ${report.profile.top.slice(0, 3).map((f) => `${f.name} ${f.percent.toFixed(1)}%`).join('; ')}`);
      } catch (error) {
        report.notes.push(`The profile of the ${most}-watcher cell failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  }
  if (ctx.parts.includes('replication')) {
    for (const mode of ctx.replicaModes) try {
      const r = await replication(ctx, cell++, mode === 'dbnosync');
      report.replication.push(r);
      ctx.log(`live replication (${mode}) at ${Math.round(r.writes.rate)} writes/s${Object.keys(r.writes.errors).length ? ` (errors ${JSON.stringify(r.writes.errors)})` : ''}: lag p50 ${r.p50Ms.toFixed(1)} ms p99 ${r.p99Ms.toFixed(1)} ms max ${r.maxMs.toFixed(1)} ms; caught up ${r.catchUpMs.toFixed(0)} ms after the last write`);
    } catch (error) {
      report.notes.push(`Replication (${mode} replica) failed: ${(error as Error).message.split('\n')[0]}`);
      ctx.log(`live replication (${mode}): FAILED ${(error as Error).stack}`);
    }
  }
  if (ctx.parts.includes('memory')) {
    try {
      report.memory = await memory(ctx, Math.max(...ctx.watcherCounts, 1000));
    } catch (error) {
      report.notes.push(`Memory with idle watchers failed: ${(error as Error).message.split('\n')[0]}`);
      ctx.log(`live memory: FAILED ${(error as Error).stack}`);
    }
  }
  return report;
}

/** The latency cell again with Rendezvous under node --cpu-prof: the busiest process's top functions. */
async function profileCell(ctx: LiveContext, watchers: number, cell: number): Promise<ProfileSummary & { watchers: number; p99Ms: number }> {
  const profileDir = join(ctx.dir, `profile-live-${watchers}`);
  await ctx.restart(['--cpu-prof', '--cpu-prof-dir', profileDir]);
  let p99 = Number.NaN;
  try {
    p99 = (await latencyCell(ctx, providerOf(ctx, 'rendezvous'), watchers, cell)).p99Ms;
  } finally {
    await ctx.restart([]);
  }
  const files = (await readdir(profileDir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error('node --cpu-prof wrote no profile');
  const summaries = await Promise.all(files.map((f) => summarizeProfile(join(profileDir, f), `${ctx.serverDir}/`)));
  return { ...summaries.reduce((a, b) => (b.busyMs > a.busyMs ? b : a)), watchers, p99Ms: p99 };
}
