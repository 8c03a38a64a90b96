/**
 * Loads the data set over LDAP with several connections, and measures the add throughput on
 * the way. Entries are generated and encoded a chunk at a time *before* each timed phase, so
 * the generator (about 0.2 ms of CPU per conference) does not compete with the server for
 * the machine's cores while the clock runs.
 */
import { LoadConnection } from './connection.js';
import { entryAt, type DataSet, type Entry } from './data.js';
import { Histogram } from './histogram.js';
import { addOp, bindOp } from './requests.js';
import type { Target } from './workloads.js';

/** A server to load. */
export interface LoadTarget {
  target: Target;
  port: number;
  bind: { dn: string; password: string };
  /** Entries to add before the data set (slapd's suffix and container). */
  prelude?: ReadonlyArray<{ dn: string; attributes: Entry['attributes'] }>;
}

export interface LoadResult {
  target: Target;
  /** Entries added: the whole data set unless the load was stopped. */
  entries: number;
  /** Seconds spent adding (the timed phases only). */
  seconds: number;
  addsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Result code → count, for adds that failed. */
  errors: Record<string, number>;
  /** Add rate of each chunk, by entries already loaded: shows whether adds slow down as the directory grows. */
  curve: Array<{ loaded: number; kind: 'conferences' | 'people'; addsPerSecond: number }>;
  /** performance.now() when this target's last add was answered (targets load in turns, chunk by chunk). */
  endedAt: number;
}

/**
 * Told after each chunk: entries loaded so far, the total, and each target's curve so far.
 * Returning false stops the load there (the results then count the entries loaded).
 */
export type Progress = (done: number, total: number, curves: ReadonlyArray<{ target: Target; curve: LoadResult['curve'] }>) => boolean;

/**
 * Seconds to add `conferences` and `people` if the time per conference add keeps growing as
 * it did (a least-squares line t(n) = a + b·n through the conference chunks' seconds per
 * add, integrated from 0 to n) and people load at their measured rate (or, before any were
 * loaded, at the rate of the first conferences). Undefined with fewer than two conference chunks.
 */
export function projectLoadSeconds(curve: LoadResult['curve'], conferences: number, people: number): number | undefined {
  const points = curve.filter((p) => p.kind === 'conferences');
  if (points.length < 2) return undefined;
  const xs = points.map((p) => p.loaded);
  const ys = points.map((p) => 1 / p.addsPerSecond);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : Math.max(0, xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx);
  const a = Math.max(0, my - b * mx);
  const peopleRates = curve.filter((p) => p.kind === 'people').map((p) => p.addsPerSecond);
  const peopleRate = peopleRates.length > 0 ? peopleRates.reduce((x, y) => x + y, 0) / peopleRates.length : points[0]!.addsPerSecond;
  return a * conferences + (b * conferences * conferences) / 2 + people / peopleRate;
}

/**
 * Entries in the chunk starting at `from`: small at first, so that the add-rate curve (and the
 * projection of a long load) is there within seconds, then growing to 20,000 or a tenth of the data.
 */
const chunkSize = (from: number, total: number): number => Math.max(1_000, Math.min(20_000, Math.ceil(total / 10), Math.floor(from / 5)));

/** Sends `ops` over the connections, each connection taking the next one when free. */
async function addAll(connections: readonly LoadConnection[], ops: readonly Buffer[], histogram: Histogram, errors: Record<string, number>): Promise<void> {
  let next = 0;
  await Promise.all(
    connections.map(async (connection) => {
      while (next < ops.length) {
        const op = ops[next++]!;
        const sent = performance.now();
        const { code } = await connection.request(op);
        histogram.record((performance.now() - sent) * 1000);
        if (code !== 0) errors[code] = (errors[code] ?? 0) + 1;
      }
    }),
  );
}

/**
 * Loads the data set into every target, chunk by chunk (each chunk to each target in turn).
 * `progress` is told the entries loaded so far and may stop the load.
 */
export async function load(set: DataSet, targets: readonly LoadTarget[], connectionsPerTarget: number, progress: Progress = () => true): Promise<LoadResult[]> {
  const total = set.conferences + set.people;
  let loaded = 0;
  const states = await Promise.all(
    targets.map(async (t) => {
      const connections = await Promise.all(Array.from({ length: connectionsPerTarget }, () => LoadConnection.open(t.port)));
      for (const c of connections) {
        const { code } = await c.request(bindOp(t.bind.dn, t.bind.password));
        if (code !== 0) throw new Error(`${t.target}: bind as ${t.bind.dn} failed with result code ${code}`);
      }
      const state = { t, connections, seconds: 0, histogram: new Histogram(), errors: {} as Record<string, number>, curve: [] as LoadResult['curve'], endedAt: 0 };
      if (t.prelude) await addAll(connections.slice(0, 1), t.prelude.map((e) => addOp(e.dn, e.attributes)), new Histogram(), state.errors);
      return state;
    }),
  );
  try {
    for (let from = 0, to = 0; from < total; from = to) {
      // Chunks never mix conferences and people, whose adds cost differently.
      to = Math.min(total, from + chunkSize(from, total), from < set.conferences ? set.conferences : total);
      const chunk: Entry[] = [];
      for (let i = from; i < to; i += 1) chunk.push(entryAt(set, i));
      for (const state of states) {
        const ops = chunk.map((e) => addOp(e.dn, state.t.target === 'slapd' ? [...e.attributes, ...e.derived] : e.attributes));
        const started = performance.now();
        await addAll(state.connections, ops, state.histogram, state.errors);
        state.endedAt = performance.now();
        const seconds = (state.endedAt - started) / 1000;
        state.seconds += seconds;
        state.curve.push({ loaded: from, kind: from < set.conferences ? 'conferences' : 'people', addsPerSecond: ops.length / seconds });
      }
      loaded = to;
      if (!progress(to, total, states.map((s) => ({ target: s.t.target, curve: s.curve })))) break;
    }
  } finally {
    for (const state of states) for (const c of state.connections) c.close();
  }
  return states.map((s) => ({
    target: s.t.target,
    entries: loaded,
    seconds: s.seconds,
    addsPerSecond: loaded / s.seconds,
    p50Ms: s.histogram.quantile(0.5) / 1000,
    p99Ms: s.histogram.quantile(0.99) / 1000,
    errors: s.errors,
    curve: s.curve,
    endedAt: s.endedAt,
  }));
}
