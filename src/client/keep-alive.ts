/**
 * The timers of auto-refresh: one per object, each running a task that says when it wants
 * to run again. Timers are unref'd, so keeping objects alive never keeps a process alive.
 */

/** Runs a task per key, each time after the delay the previous run returned. */
export class TaskTimers<K> {
  readonly #task: (key: K) => Promise<number>;
  readonly #timers = new Map<K, NodeJS.Timeout | 'running'>();
  #stopped = false;

  /** `task` does the work and resolves to the milliseconds until the next run. */
  constructor(task: (key: K) => Promise<number>) {
    this.#task = task;
  }

  /** Whether `key` is scheduled (or running). */
  has(key: K): boolean {
    return this.#timers.has(key);
  }

  /** (Re)schedules `key` to run after `delayMs`. */
  schedule(key: K, delayMs: number): void {
    if (this.#stopped) return;
    this.cancel(key);
    const timer = setTimeout(() => void this.#run(key), Math.max(0, delayMs));
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** Stops running `key`; a run in progress finishes but is not rescheduled. */
  cancel(key: K): void {
    const timer = this.#timers.get(key);
    if (timer !== undefined && timer !== 'running') clearTimeout(timer);
    this.#timers.delete(key);
  }

  /** Cancels everything, for good. */
  stop(): void {
    this.#stopped = true;
    for (const key of [...this.#timers.keys()]) this.cancel(key);
  }

  async #run(key: K): Promise<void> {
    this.#timers.set(key, 'running');
    let next: number;
    try {
      next = await this.#task(key);
    } catch {
      // Tasks report their own failures; one that throws anyway is not run again.
      this.#timers.delete(key);
      return;
    }
    // Cancelled (deleted, auto-refresh turned off, closed) while the task ran.
    if (this.#stopped || this.#timers.get(key) !== 'running') return;
    this.#timers.delete(key);
    this.schedule(key, next);
  }
}
