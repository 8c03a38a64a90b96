/**
 * Writes at a fixed rate (open loop), for the live-update workloads: write k is due at
 * `startAt + k / rate`, and goes out on the first free connection of a pool (each connection
 * keeps one operation outstanding, as the harness's do), once the write it depends on (a
 * modify's add) was acknowledged, as a client would wait. A server slower than the rate makes
 * writes leave late: how late is measured, so a rate that was not reached shows.
 */
import { LoadConnection } from './connection.js';
import { Histogram } from './histogram.js';
import { bindOp } from './requests.js';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

/** What a paced run did. */
export interface PacedResult {
  writes: number;
  /** Writes per second from the first sending to the last acknowledgement. */
  rate: number;
  /** Sending → acknowledgement, µs. */
  latency: Histogram;
  /** Due time → sending, µs (0 when the rate was kept). */
  lateness: Histogram;
  /** Result codes other than success, with counts. */
  errors: Record<string, number>;
}

/** A pool of connections bound as `bind`, to write with. */
export async function writerPool(port: number, size: number, bind: { dn: string; password: string }): Promise<LoadConnection[]> {
  const pool: LoadConnection[] = [];
  for (let i = 0; i < size; i += 1) {
    const connection = await LoadConnection.open(port);
    const { code } = await connection.request(bindOp(bind.dn, bind.password));
    if (code !== 0) throw new Error(`bind as ${bind.dn} failed with result code ${code}`);
    pool.push(connection);
  }
  return pool;
}

/**
 * Sends `ops` in order at `rate` per second from `startAt` (epoch ms) over `pool`; `onAck`
 * hears each write's number, sending and acknowledgement times. `after[k]`, when given and not
 * negative, is the write that must be acknowledged before write k goes out (the add of the
 * entry k modifies: on another connection, the modify could otherwise reach the server first
 * and fail noSuchObject when writes take long). Resolves once all are answered.
 */
export function pacedWrites(
  pool: readonly LoadConnection[],
  ops: readonly Buffer[],
  rate: number,
  startAt: number,
  onAck: (seq: number, sentAt: number, ackAt: number, code: number) => void,
  after: readonly number[] = [],
): Promise<PacedResult> {
  const latency = new Histogram();
  const lateness = new Histogram();
  const errors: Record<string, number> = {};
  const free = [...pool];
  const acknowledged = new Uint8Array(ops.length);
  let next = 0;
  let answered = 0;
  let first = Number.NaN;
  return new Promise((resolve) => {
    /**
     * The one timer waiting for the next write's time. Each acknowledgement pumps too, and
     * used to start a timer of its own whenever the next write was not due yet: the chains
     * multiplied (each firing started the next), and the writer burnt half a core in cells
     * whose writes were answered quickly, on the cores the server was measured on.
     */
    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      if (timer !== undefined || next >= ops.length || free.length === 0) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          pump();
        },
        Math.max(0, startAt + (next * 1000) / rate - now()),
      );
    };
    const pump = (): void => {
      const t = now();
      while (next < ops.length && free.length > 0) {
        const due = startAt + (next * 1000) / rate;
        if (due > t) break;
        // Waiting for the write it depends on: its acknowledgement pumps again.
        const needs = after[next] ?? -1;
        if (needs >= 0 && acknowledged[needs] === 0) return;
        const seq = next++;
        const connection = free.pop()!;
        const sentAt = now();
        if (Number.isNaN(first)) first = sentAt;
        lateness.record((sentAt - due) * 1000);
        connection.send(ops[seq]!, (code) => {
          const ackAt = now();
          acknowledged[seq] = 1;
          latency.record((ackAt - sentAt) * 1000);
          if (code !== 0) errors[code] = (errors[code] ?? 0) + 1;
          onAck(seq, sentAt, ackAt, code);
          free.push(connection);
          if (++answered === ops.length) resolve({ writes: ops.length, rate: (ops.length * 1000) / (ackAt - first), latency, lateness, errors });
          else pump();
        });
      }
      schedule();
    };
    schedule();
  });
}
