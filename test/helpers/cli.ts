/**
 * Runs the real `bin/rendezvous` executable, as a person would, and captures what it prints.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/rendezvous', import.meta.url));

let stateHome: string | undefined;

/**
 * The XDG_STATE_HOME the CLI runs with (where `mcast request` keeps its leases): a directory of
 * this test process's own, removed when it exits, so that tests leave the home directory alone.
 */
export function cliStateHome(): string {
  if (stateHome === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'rendezvous-cli-state-'));
    stateHome = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return stateHome;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `run` on every item, at most `limit` at a time, and resolves to the results in order:
 * independent CLI runs overlap their Node start-ups instead of queueing them.
 */
export async function eachLimited<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Runs the CLI with arguments and optional standard input; resolves when it exits. */
export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, TZ: 'UTC', XDG_STATE_HOME: cliStateHome(), ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI process left running (a watch, a keep-alive), read while it runs. */
export interface RunningCli {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` matches what the process wrote to `stream`; rejects after `ms` or when it exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', ms?: number): Promise<void>;
  /** Sends a signal (SIGINT by default, as Ctrl-C). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited, with its code and output. */
  exited(): Promise<CliResult>;
}

/** Starts the CLI and returns at once; the process is killed if the test process exits first. */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(BIN, args, { env: { ...process.env, TZ: 'UTC', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output.stdout += d;
    changed();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    output.stderr += d;
    changed();
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => {
      process.off('exit', killOnExit);
      changed();
      resolve({ code, stdout: output.stdout, stderr: output.stderr });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    pid: child.pid ?? -1,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitFor: (pattern, stream = 'stdout', ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(output[stream])) finish();
          else if (done || child.exitCode !== null) finish(new Error(`the CLI exited before printing ${pattern} on ${stream}:\n${output.stdout}\n${output.stderr}`));
        };
        const timer = setTimeout(() => finish(new Error(`no ${pattern} on ${stream} within ${ms} ms:\n--- stdout\n${output.stdout}\n--- stderr\n${output.stderr}`)), ms);
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      }),
    kill: (signal = 'SIGINT') => {
      child.kill(signal);
    },
    exited: () => exited,
  };
}
