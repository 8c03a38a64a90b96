/**
 * Group commit. With `synchronous = FULL` each commit waits for the disk (fsync), and
 * that wait, not the work, bounds how many writes a second one transaction per write can
 * acknowledge. Writes that arrive together (from different connections, in one turn of the
 * event loop) run here in one transaction, each in its own savepoint so that one failing
 * write leaves the others alone; every write is acknowledged only after the commit that
 * holds it, so an acknowledged write is as durable as before.
 */

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Runs write functions in shared transactions. */
export class WriteBatch {
  readonly #transaction: <T>(fn: () => T) => T;
  readonly #inTransaction: () => boolean;
  #queue: Pending[] = [];
  #scheduled = false;
  /** When the last write arrived (ms, `performance.now()`), so background work can wait for a pause. */
  #lastArrival = Number.NEGATIVE_INFINITY;

  /**
   * @param transaction runs a function in a write transaction, as a savepoint when nested
   *   (EntryStore.transaction).
   * @param inTransaction whether a transaction is open (SQLite ends one by itself on some
   *   errors, such as a full disk).
   */
  constructor(transaction: <T>(fn: () => T) => T, inTransaction: () => boolean) {
    this.#transaction = transaction;
    this.#inTransaction = inTransaction;
  }

  /**
   * Runs `fn` in the next shared transaction; resolves with its result once that
   * transaction committed, or rejects with what `fn` threw (its changes undone) or with the
   * commit's error (nothing of the batch written).
   */
  run<T>(fn: () => T): Promise<T> {
    this.#lastArrival = performance.now();
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the I/O callbacks of this turn: requests read together are written together.
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Milliseconds since the last write arrived (Infinity if none has). */
  get quietMs(): number {
    return performance.now() - this.#lastArrival;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.#transaction(() => {
        for (const op of batch) {
          try {
            outcomes.push({ ok: true, value: this.#transaction(op.fn) });
          } catch (error) {
            // SQLite rolled the whole transaction back (SQLITE_FULL, SQLITE_IOERR...): the
            // writes before this one are gone too, so the whole batch fails with its error.
            if (!this.#inTransaction()) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const op of batch) op.reject(error);
      return;
    }
    batch.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }
}
