/**
 * A test peer that runs until it is stopped (a refreshAndPersist or persistent search), its
 * output read as it comes and waited on with a deadline: {@link startLiveProcess}. The
 * ldapsearch and Python peers of the live-update tests are built on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A running process whose output is read as it comes. */
export interface LiveProcess {
  /** The command line, for messages. */
  readonly command: string;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Whether it has exited. */
  ended(): boolean;
  /**
   * Whether it printed nothing for {@link QUIET_MS}: what it printed last is then whole (a
   * client prints a record in a burst of lines; the pipe may hand them over in pieces).
   */
  quiet(): boolean;
  /**
   * Resolves once `until` holds for the output so far (checked at each chunk); rejects with
   * the output when the process exits first or the deadline passes.
   */
  waitFor<T>(until: (stdout: string) => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  /** Resolves with the exit code when it ends by itself. */
  exited(): Promise<number | null>;
  /** Ends it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
}

/** Silence after which the output so far counts as whole (see {@link LiveProcess.quiet}). */
export const QUIET_MS = 40;

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `command args...` with stdout line-buffered (stdbuf: libc buffers a pipe until exit otherwise). */
export function startLiveProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): LiveProcess {
  const line = [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  const child = spawn('stdbuf', ['-oL', command, ...args], { env: { ...process.env, ...env } });
  children.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  let lastData = 0;
  let quietTimer: NodeJS.Timeout | undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    lastData = Date.now();
    wake();
    // Look again once the output has paused: waiters that need whole records see them then.
    clearTimeout(quietTimer);
    quietTimer = setTimeout(wake, QUIET_MS + 5);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      clearTimeout(quietTimer);
      resolve(code);
      wake();
    }),
  );
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    command: line,
    stdout: () => out,
    stderr: () => err,
    ended,
    quiet: () => Date.now() - lastData >= QUIET_MS,
    waitFor<T>(until: (stdout: string) => T | undefined | false, timeoutMs = 15_000, what = 'the expected output'): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = (): void => {
          const found = until(out);
          if (found !== undefined && found !== false) {
            finish();
            resolve(found);
          } else if (ended()) {
            finish();
            reject(new Error(`${line} exited (${child.exitCode ?? child.signalCode}) before ${what}\n--- stdout\n${out}--- stderr\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${line}: no ${what} within ${timeoutMs} ms\n--- stdout\n${out}--- stderr\n${err}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exited: () => exit,
    async stop() {
      if (!ended()) child.kill('SIGTERM');
      await exit;
    },
  };
}
