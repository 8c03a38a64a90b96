/**
 * `rendezvous serve --workers N`: a primary process and N worker processes. A Node process
 * runs JavaScript on one core; LDAP search is CPU-bound, so on a machine with several cores
 * one process cannot answer as many clients as slapd's threads do. Workers share the
 * listening sockets (node:cluster hands each new connection to the next worker) and the
 * SQLite file (WAL: readers never wait for the writer; writers queue on the database lock).
 *
 * The primary keeps what must exist once: the writes (every worker forwards its adds,
 * modifies, deletes and refreshes, the sTTL refreshes of its searches included; one writer
 * means no process waits on another for the SQLite lock, and group commit gathers the writes
 * of every connection), expiry, MADCAP, and the admission state (connection limits and
 * the failed-bind throttle for the whole server). A worker that dies is replaced; the connections
 * it served are lost, as they would be with a single process, and every write it
 * acknowledged is in the database.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { describeFailure, LocalWriter, reviveWrite, type DirectoryTree } from '../directory/index.js';
import { LocalAdmission, type BindTurn } from '../ldap/admission.js';
import { DEFAULT_LIMITS } from '../ldap/server.js';
import type { Logger } from '../log.js';
import type { ServerOptions } from './options.js';
import type { PrimaryMessage, WorkerMessage, WriteOutcome } from './worker-messages.js';

/**
 * V8 flags of the workers: a young generation of 2 MB semi-spaces instead of 16. A search
 * allocates much and keeps little, so the young generation's size sets most of what a worker
 * adds to its memory under load; smaller, it is collected more often, each time as cheaply.
 */
const WORKER_V8_FLAGS = ['--max-semi-space-size=2'];

/** How long a stopping worker may take to finish its operations before it is killed. */
const STOP_TIMEOUT_MS = 30_000;

/** A worker that dies this soon after starting is not restarted at once (a crash loop). */
const RESTART_BACKOFF_MS = 1000;

/** A worker process and the connections the primary admitted through it. */
interface WorkerState {
  index: number;
  process: Worker;
  addresses: Map<string, number>;
  /** Live searches it holds open in the server's count. */
  live: number;
  /** Its password binds in the throttle, by the worker's id. */
  binds: Map<number, BindTurn>;
  startedAt: number;
  /** Whether it said hello: before that, a message sent to it could be lost. */
  greeted: boolean;
  /** Replies and change news of this turn, sent together at its end ({@link Outbox}). */
  outbox: PrimaryMessage[];
}

/** The error a worker reported when it could not listen, with its errno code (EADDRINUSE...). */
class WorkerStartError extends Error {
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/**
 * Sends a message to a worker. A worker that is exiting (a Ctrl-C reaches the whole process
 * group, so the workers stop as the primary does) closes its channel under a send: the
 * failure is the worker's exit, which the primary sees anyway, not an error of the primary's.
 */
function tell(worker: Worker, message: PrimaryMessage): void {
  if (!worker.isConnected()) return;
  // With a callback, a failed send (EPIPE, ERR_IPC_CHANNEL_CLOSED) is handed to it instead of
  // being thrown as an 'error' event that would end the primary.
  worker.send(message, () => undefined);
}

/**
 * The primary's messages to its workers that may wait for the end of the turn: the replies to
 * writes (a group commit answers many at once) and the news that the log grew. Each worker
 * gets them in one message ('several') instead of one message each.
 */
class Outbox {
  readonly #waiting = new Set<WorkerState>();
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** Queues `message` for `worker`; news of changes already queued for it is not repeated. */
  post(worker: WorkerState, message: PrimaryMessage): void {
    if (message.kind === 'changes' && worker.outbox.some((m) => m.kind === 'changes')) return;
    worker.outbox.push(message);
    this.#waiting.add(worker);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Sends what is queued, now. */
  flush(): void {
    for (const worker of this.#waiting) {
      const messages = worker.outbox;
      worker.outbox = [];
      if (messages.length === 1) tell(worker.process, messages[0]!);
      else if (messages.length > 1) tell(worker.process, { kind: 'several', messages });
    }
    this.#waiting.clear();
  }
}

/** The worker processes, listening. */
export interface WorkerPool {
  /** The port of the plain LDAP listener they share. */
  readonly port: number;
  /** The port of the LDAPS listener, if there is one. */
  readonly tlsPort: number | undefined;
  /** Tells every worker to finish its operations and exit; resolves when all have (killed after {@link STOP_TIMEOUT_MS}). */
  close(): Promise<void>;
}

/**
 * Makes this process the primary of `options.workers` workers, answering their admission
 * questions and applying their writes to `directory`; resolves once every worker listens.
 */
export async function startWorkers(directory: DirectoryTree, options: ServerOptions, log: Logger): Promise<WorkerPool> {
  const count = options.workers ?? 1;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const admission = new LocalAdmission(limits, log);
  const writer = new LocalWriter(directory);
  let stopping = false;
  const workers = new Set<WorkerState>();
  let listening: (ports: { port: number; tlsPort: number | undefined }) => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const outbox = new Outbox();

  // Every committed change wakes the workers' live searches; one lost message delays them to
  // their feed's next poll, no more (src/directory/sync/feed.ts).
  const unsubscribe = directory.changes.onCommit(() => {
    for (const w of workers) if (w.greeted) outbox.post(w, { kind: 'changes' });
  });
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker.js', import.meta.url)), serialization: 'advanced', execArgv: [...process.execArgv, ...WORKER_V8_FLAGS] });

  const fork = (index: number, restart = false): void => {
    const state: WorkerState = { index, process: cluster.fork({ RENDEZVOUS_WORKER: String(index) }), addresses: new Map(), live: 0, binds: new Map(), startedAt: Date.now(), greeted: false, outbox: [] };
    workers.add(state);
    const reply = (id: number, value: unknown): void => {
      outbox.post(state, { kind: 'reply', id, value });
    };
    const count = (address: string, by: number): void => {
      const n = (state.addresses.get(address) ?? 0) + by;
      if (n <= 0) state.addresses.delete(address);
      else state.addresses.set(address, n);
    };
    state.process.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'hello':
          state.greeted = true;
          // A worker forked just before a stop is told to stop at once.
          tell(state.process, stopping ? { kind: 'stop' } : { kind: 'start', options });
          return;
        case 'admit':
          void admission.admit(message.address).then((refusal) => {
            if (refusal === undefined) count(message.address, 1);
            reply(message.id, refusal);
          });
          return;
        case 'release':
          if ((state.addresses.get(message.address) ?? 0) > 0) {
            count(message.address, -1);
            admission.release(message.address);
          }
          return;
        case 'admitLive':
          void admission.admitLive().then((refusal) => {
            if (refusal === undefined) state.live += 1;
            reply(message.id, refusal);
          });
          return;
        case 'releaseLive':
          if (state.live > 0) {
            state.live -= 1;
            admission.releaseLive();
          }
          return;
        case 'bindTurn': {
          const turn = admission.bindTurn(message.address, message.account);
          state.binds.set(message.id, turn);
          void turn.ready.then(() => reply(message.id, undefined));
          return;
        }
        case 'bindEnd':
          state.binds.get(message.id)?.end(message.outcome);
          state.binds.delete(message.id);
          return;
        case 'write':
          writer.write(reviveWrite(message.request)).then(
            (value) => reply(message.id, { ok: true, value } satisfies WriteOutcome),
            (error: unknown) => reply(message.id, { ok: false, failure: describeFailure(error) } satisfies WriteOutcome),
          );
          return;
        case 'listening':
          listening({ port: message.port, tlsPort: message.tlsPort });
          if (restart) log.info(`worker ${index} (pid ${state.process.process.pid}) restarted`);
          return;
        case 'failed':
          failed(new WorkerStartError(message.message, message.code));
          return;
      }
    });
    state.process.on('exit', (code, signal) => {
      workers.delete(state);
      // Its connections are gone with it.
      for (const [address, n] of state.addresses) for (let i = 0; i < n; i += 1) admission.release(address);
      for (let i = 0; i < state.live; i += 1) admission.releaseLive();
      for (const turn of state.binds.values()) turn.end('none');
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      const delay = Date.now() - state.startedAt < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0;
      log.warn(`worker ${index} (pid ${state.process.process.pid}) exited with ${how}; starting another${delay ? ` in ${delay} ms` : ''}`);
      setTimeout(() => {
        if (!stopping) fork(index, true);
      }, delay).unref();
    });
  };

  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    unsubscribe();
    // Answers queued this turn go before the stop.
    outbox.flush();
    await Promise.all(
      [...workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.process.isDead()) return resolve();
            const timer = setTimeout(() => w.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
            w.process.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            // One that has not said hello yet gets the stop in answer to its hello.
            if (!w.process.isConnected()) w.process.kill('SIGTERM');
            else if (w.greeted) tell(w.process, { kind: 'stop' });
          }),
      ),
    );
  };

  let ports: { port: number; tlsPort: number | undefined };
  try {
    ports = await new Promise((resolve, reject) => {
      let ready = 0;
      listening = (p) => {
        ready += 1;
        if (ready === count) resolve(p);
      };
      failed = reject;
      for (let i = 1; i <= count; i += 1) fork(i);
    });
  } catch (error) {
    await stopWorkers();
    throw error;
  }
  listening = () => undefined;
  failed = (error) => log.warn(`a restarted worker cannot listen: ${error.message}`);
  return { port: ports.port, tlsPort: ports.tlsPort, close: stopWorkers };
}
