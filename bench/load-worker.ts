/**
 * A load process (forked by harness.ts): opens its share of the connections, binds when the
 * workload writes, and runs closed loops until the end of the measurement. Operations that
 * start and finish inside the measured window are counted; the warm-up before it and the
 * tail after it are not.
 */
import { CONNECTION_LOST, LoadConnection } from './connection.js';
import { Histogram } from './histogram.js';
import { bindOp } from './requests.js';
import { WORKLOADS, type Source } from './workloads.js';
import type { WorkerResult, WorkerTask } from './harness.js';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
const now = (): number => performance.timeOrigin + performance.now();

const send = (message: unknown): void => {
  process.send?.(message);
};

async function prepare(task: WorkerTask): Promise<Array<{ connection: LoadConnection; source: Source }>> {
  const workload = WORKLOADS[task.workload];
  const loops: Array<{ connection: LoadConnection; source: Source }> = [];
  for (const id of task.connectionIds) {
    const connection = await LoadConnection.open(task.port);
    if (workload.bind && task.bind) {
      const { code } = await connection.request(bindOp(task.bind.dn, task.bind.password));
      if (code !== 0) throw new Error(`bind as ${task.bind.dn} failed with result code ${code}`);
    }
    loops.push({ connection, source: workload.source({ set: task.set, target: task.target, connection: id, seed: task.seed }) });
  }
  return loops;
}

async function run(task: WorkerTask, loops: Array<{ connection: LoadConnection; source: Source }>, startAt: number): Promise<WorkerResult> {
  const windowStart = startAt + task.warmupMs;
  const windowEnd = windowStart + task.durationMs;
  const histogram = new Histogram();
  // Per request type too (by protocolOp tag): add and delete cost very different amounts.
  const byTag = new Map<number, Histogram>();
  const codes: Record<string, number> = {};
  let entries = 0;
  let operations = 0;
  let running = loops.length;
  const accepted = new Set(WORKLOADS[task.workload].accepts ?? []);

  await new Promise<void>((resolve) => {
    const loop = (connection: LoadConnection, source: Source): void => {
      const sent = now();
      if (sent >= windowEnd || connection.closed) {
        if (--running === 0) resolve();
        return;
      }
      const op = source.next();
      connection.send(
        op,
        (code, found, final) => {
          const finished = now();
          source.answered?.(final);
          if (sent >= windowStart && finished <= windowEnd) {
            operations += 1;
            entries += found;
            histogram.record((finished - sent) * 1000);
            let own = byTag.get(op[0]!);
            if (!own) byTag.set(op[0]!, (own = new Histogram()));
            own.record((finished - sent) * 1000);
            codes[code] = (codes[code] ?? 0) + 1;
          } else if (code !== 0 && !accepted.has(code)) {
            // Failures outside the window are still worth knowing about.
            codes[code] = (codes[code] ?? 0) + 1;
          }
          loop(connection, source);
        },
        source.controls?.(),
      );
    };
    setTimeout(() => {
      for (const { connection, source } of loops) loop(connection, source);
    }, Math.max(0, startAt - now()));
  });

  for (const { connection, source } of loops) {
    for (const op of source.cleanup()) await connection.request(op);
    connection.close();
  }
  return {
    operations,
    entries,
    codes,
    histogram: histogram.toPairs(),
    byTag: [...byTag].map(([tag, h]) => [tag, h.toPairs()]),
    lost: codes[CONNECTION_LOST] ?? 0,
  };
}

let loops: Array<{ connection: LoadConnection; source: Source }> = [];
let task: WorkerTask | undefined;

process.on('message', (message: { type: 'prepare'; task: WorkerTask } | { type: 'go'; startAt: number }) => {
  if (message.type === 'prepare') {
    task = message.task;
    prepare(task).then(
      (prepared) => {
        loops = prepared;
        send({ type: 'ready' });
      },
      (error: Error) => send({ type: 'error', message: error.message }),
    );
  } else if (message.type === 'go' && task) {
    run(task, loops, message.startAt).then(
      (result) => send({ type: 'result', result }),
      (error: Error) => send({ type: 'error', message: error.message }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
