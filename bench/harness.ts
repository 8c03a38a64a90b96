/**
 * One measurement ("cell") with the Node load generator: forks load processes
 * (load-worker.ts), spreads the connections over them, starts them together, and samples
 * the server's CPU and peak RSS, the load processes' CPU and the machine's exactly at the
 * edges of the measured window.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DataSet } from './data.js';
import { Histogram } from './histogram.js';
import { Op } from '../src/protocol/index.js';
import { cpuSeconds, machineCpuSeconds, peakRssMiB, resetPeakRss, samplePeakResident } from './proc.js';
import { WORKLOADS, type Target, type WorkloadName } from './workloads.js';

/** What the parent tells a load process. */
export interface WorkerTask {
  port: number;
  workload: WorkloadName;
  set: DataSet;
  target: Target;
  bind: { dn: string; password: string } | undefined;
  connectionIds: number[];
  seed: number;
  warmupMs: number;
  durationMs: number;
}

/** What a load process reports. */
export interface WorkerResult {
  operations: number;
  entries: number;
  /** Result code → operations (code -1: the connection was lost). */
  codes: Record<string, number>;
  histogram: Array<[number, number]>;
  /** The same per protocolOp tag of the requests. */
  byTag: Array<[number, Array<[number, number]>]>;
  lost: number;
}

/** A measurement's figures. CPU percentages are of one core (200% = both cores of two). */
export interface Measurement {
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  entriesPerOp: number;
  /** Latencies per request type, when the workload sends more than one (add and delete). */
  byRequest?: Record<string, { operations: number; p50Ms: number; p99Ms: number }>;
  /** Result codes other than success, with counts. */
  errors: Record<string, number>;
  serverCpuPercent: number;
  serverPeakRssMiB: number;
  /** Peak memory of the server's processes together, shared pages once, sampled ({@link samplePeakResident}). */
  serverPeakTogetherMiB: number;
  clientCpuPercent: number;
  /** Machine busy time not used by the server or the load generator: other processes. */
  otherCpuPercent: number;
}

export interface CellSpec {
  port: number;
  serverPid: number;
  target: Target;
  workload: WorkloadName;
  connections: number;
  /** Most load processes to use; never more than connections. */
  processes: number;
  set: DataSet;
  seed: number;
  bind: { dn: string; password: string } | undefined;
  warmupMs: number;
  durationMs: number;
}

type WorkerMessage = { type: 'ready' } | { type: 'error'; message: string } | { type: 'result'; result: WorkerResult };

/** Names of request tags, for {@link Measurement.byRequest}. */
const REQUEST_NAMES: Readonly<Record<number, string>> = { [Op.searchRequest]: 'search', [Op.addRequest]: 'add', [Op.delRequest]: 'delete', [Op.extendedRequest]: 'extended', [Op.modifyRequest]: 'modify' };

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));

/** What every forked process of the benchmark may say: its answers, or an error. */
type ChildMessage = { type: string } | { type: 'error'; message: string };

/**
 * Waits for the next message of the given type from a forked process (a load process, a
 * watcher process: `name` says which in errors); rejects on its error message, its exit, or
 * after `timeoutMs`.
 */
export function expectMessage<M extends ChildMessage, T extends M['type']>(child: ChildProcess, type: T, timeoutMs: number, name = 'load process'): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${name} gave no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: M): void => {
      if (message.type === type) finish(undefined, message as Extract<M, { type: T }>);
      else if (message.type === 'error') finish(new Error(`${name}: ${(message as { message?: string }).message}`));
    };
    const onExit = (code: number | null): void => finish(new Error(`${name} exited (${code}) before ${type}`));
    const finish = (error?: Error, message?: Extract<M, { type: T }>): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

const expect = <T extends WorkerMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<WorkerMessage, { type: T }>> => expectMessage<WorkerMessage, T>(child, type, timeoutMs);

const delayUntil = (at: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

interface Sample {
  server: number;
  clients: number;
  machine: number;
  at: number;
}

function sample(serverPid: number, workers: readonly ChildProcess[]): Sample {
  return {
    server: cpuSeconds(serverPid),
    clients: workers.reduce((sum, w) => sum + cpuSeconds(w.pid ?? -1), 0),
    machine: machineCpuSeconds().busy,
    at: performance.timeOrigin + performance.now(),
  };
}

/** Runs one cell and returns its figures. */
export async function measure(spec: CellSpec): Promise<Measurement> {
  const processes = Math.max(1, Math.min(spec.processes, spec.connections));
  const workers: ChildProcess[] = [];
  try {
    const tasks: WorkerTask[] = [];
    for (let p = 0; p < processes; p += 1) {
      const connectionIds: number[] = [];
      for (let c = p; c < spec.connections; c += processes) connectionIds.push(c);
      tasks.push({ ...spec, connectionIds });
    }
    // execArgv: [] so that a profiled or inspected parent does not make profiled children.
    for (const task of tasks) {
      const child = fork(WORKER, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(child);
      child.send({ type: 'prepare', task });
    }
    await Promise.all(workers.map((w) => expect(w, 'ready', 60_000)));

    const startAt = Date.now() + 200;
    const windowStart = startAt + spec.warmupMs;
    const windowEnd = windowStart + spec.durationMs;
    const results = workers.map((w) => expect(w, 'result', spec.warmupMs + spec.durationMs + 60_000));
    for (const w of workers) w.send({ type: 'go', startAt });

    await delayUntil(windowStart);
    resetPeakRss(spec.serverPid);
    const together = samplePeakResident(spec.serverPid);
    const first = sample(spec.serverPid, workers);
    await delayUntil(windowEnd);
    const last = sample(spec.serverPid, workers);
    const peak = peakRssMiB(spec.serverPid);
    const peakTogether = together.stop();

    const histogram = new Histogram();
    let operations = 0;
    let entries = 0;
    const errors: Record<string, number> = {};
    const byTag = new Map<number, Histogram>();
    const accepted = WORKLOADS[spec.workload].accepts ?? [];
    for (const { result } of await Promise.all(results)) {
      operations += result.operations;
      entries += result.entries;
      histogram.add(result.histogram);
      for (const [tag, pairs] of result.byTag) {
        let own = byTag.get(tag);
        if (!own) byTag.set(tag, (own = new Histogram()));
        own.add(pairs);
      }
      for (const [code, count] of Object.entries(result.codes)) if (code !== '0' && !accepted.includes(Number(code))) errors[code] = (errors[code] ?? 0) + count;
    }
    const seconds = (last.at - first.at) / 1000;
    const percent = (cpu: number): number => (100 * cpu) / seconds;
    const server = last.server - first.server;
    const clients = last.clients - first.clients;
    const byRequest =
      byTag.size < 2
        ? undefined
        : Object.fromEntries([...byTag].map(([tag, h]) => [REQUEST_NAMES[tag] ?? `tag 0x${tag.toString(16)}`, { operations: h.total, p50Ms: h.quantile(0.5) / 1000, p99Ms: h.quantile(0.99) / 1000 }]));
    return {
      operations,
      opsPerSecond: operations / (spec.durationMs / 1000),
      ...(byRequest ? { byRequest } : {}),
      p50Ms: histogram.quantile(0.5) / 1000,
      p99Ms: histogram.quantile(0.99) / 1000,
      entriesPerOp: operations > 0 ? entries / operations : 0,
      errors,
      serverCpuPercent: percent(server),
      serverPeakRssMiB: peak,
      serverPeakTogetherMiB: peakTogether,
      clientCpuPercent: percent(clients),
      otherCpuPercent: Math.max(0, percent(last.machine - first.machine - server - clients)),
    };
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  }
}
