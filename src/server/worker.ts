/**
 * A worker process of `rendezvous serve --workers N` (forked by src/server/workers.ts): it
 * opens the same SQLite file, serves the LDAP connections the cluster hands it (searches,
 * compares and binds it answers itself), and asks the primary for connection and bind
 * decisions and to apply every write.
 */
import type { Admission, BindOutcome, BindTurn } from '../ldap/admission.js';
import { prefixedLogger, stderrLogger } from '../log.js';
import { LdapServer } from '../ldap/server.js';
import { openDirectory } from './core.js';
import { listenerOptions, type ServerOptions } from './options.js';
import { failureError, prepareWrite, type WriteRequest, type Writer } from '../directory/index.js';
import type { PrimaryMessage, WorkerMessage, WorkerRequest, WriteOutcome } from './worker-messages.js';

const send = (message: WorkerMessage): void => {
  // Without a channel the primary is gone, and the cluster ends this process.
  if (process.connected) process.send!(message);
};

/** A request without its id (distributed over the union, so each kind keeps its fields). */
type Question<R = WorkerRequest> = R extends WorkerRequest ? Omit<R, 'id'> : never;

/** Admission decided, and writes applied, by the primary: one IPC round trip per question. */
class Primary implements Admission, Writer {
  #next = 1;
  readonly #waiting = new Map<number, (value: unknown) => void>();

  #ask<T>(question: Question): Promise<T> {
    return new Promise<T>((resolve) => {
      const id = this.#next++;
      this.#waiting.set(id, resolve as (value: unknown) => void);
      send({ ...question, id } as WorkerRequest);
    });
  }

  /** Delivers the primary's answer. */
  answer(id: number, value: unknown): void {
    const resolve = this.#waiting.get(id);
    this.#waiting.delete(id);
    resolve?.(value);
  }

  admit(address: string): Promise<string | undefined> {
    return this.#ask({ kind: 'admit', address });
  }

  release(address: string): void {
    send({ kind: 'release', address });
  }

  admitLive(): Promise<string | undefined> {
    return this.#ask({ kind: 'admitLive' });
  }

  releaseLive(): void {
    send({ kind: 'releaseLive' });
  }

  bindTurn(address: string, account: string): BindTurn {
    const id = this.#next++;
    const ready = new Promise<void>((resolve) => this.#waiting.set(id, () => resolve()));
    send({ kind: 'bindTurn', id, address, account });
    let ended = false;
    const end = (outcome: BindOutcome): void => {
      if (ended) return;
      ended = true;
      this.#waiting.delete(id);
      send({ kind: 'bindEnd', id, outcome });
    };
    return { ready, end };
  }

  async write(request: WriteRequest): Promise<number | undefined> {
    const outcome = await this.#ask<WriteOutcome>({ kind: 'write', request });
    if (!outcome.ok) throw failureError(outcome.failure);
    return outcome.value;
  }
}

const log = prefixedLogger(stderrLogger, `worker ${process.env.RENDEZVOUS_WORKER ?? '?'}: `);
const primary = new Primary();
let stop: (() => Promise<void>) | undefined;
/** This worker's directory, once started: told when the primary's change log grew. */
let started: { changesCommitted(): void } | undefined;

async function start(options: ServerOptions): Promise<void> {
  const { db, directory } = openDirectory(options);
  started = directory;
  // Every write, the sTTL refresh of a search included, goes to the primary, whose expiry
  // sees it: this connection only reads, and SQLite refuses it any write (SQLITE_READONLY).
  db.pragma('query_only = ON');
  let ldap: LdapServer;
  try {
    // An add is checked and completed here (SDP validation, derived attributes): most of its
    // work, spread over the workers instead of queued in the one process that writes.
    const writer: Writer = { write: async (request) => primary.write(prepareWrite(directory, request)) };
    ldap = await LdapServer.start(directory, { ...listenerOptions(options), admission: primary, writer }, log);
  } catch (error) {
    directory.close();
    db.close();
    throw error;
  }
  stop = async () => {
    await ldap.close();
    directory.close();
    db.close();
  };
  send({ kind: 'listening', port: ldap.port, tlsPort: ldap.tlsPort });
}

function receive(message: PrimaryMessage): void {
  switch (message.kind) {
    case 'start':
      start(message.options).catch((error: NodeJS.ErrnoException) => {
        const failed: WorkerMessage = { kind: 'failed', message: error.message, code: error.code };
        if (process.connected) process.send!(failed, () => process.exit(1));
        else process.exit(1);
      });
      return;
    case 'reply':
      primary.answer(message.id, message.value);
      return;
    case 'changes':
      started?.changesCommitted();
      return;
    case 'stop':
      void (stop ?? (() => Promise.resolve()))().finally(() => process.exit(0));
      return;
    case 'several':
      for (const m of message.messages) receive(m);
      return;
  }
}

process.on('message', receive);
send({ kind: 'hello' });
