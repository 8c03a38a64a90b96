/**
 * Runs Python client scripts (python3-ldap3, python-ldap) as real LDAP peers. Debian's
 * /usr/bin/python3 carries those modules; the `python3` first on PATH may not.
 *
 * Scripts print one JSON document on stdout; `runPython` parses it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** The directory of the wire-test fixtures (LDIF files and Python scripts). */
export const LDAP_FIXTURES = fileURLToPath(new URL('../ldap/fixtures/', import.meta.url));

export interface PythonResult<T> {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, undefined when it is not JSON. */
  json: T | undefined;
}

/** Runs `/usr/bin/python3 SCRIPT ARGS...` (SCRIPT relative to test/ldap/fixtures unless absolute). */
export function runPython<T = unknown>(
  script: string,
  args: string[] = [],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<PythonResult<T>> {
  const path = script.startsWith('/') ? script : `${LDAP_FIXTURES}${script}`;
  const command = [PYTHON, path, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path, ...args], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8', LDAPNOINIT: '1', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 25_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: T | undefined;
      try {
        json = JSON.parse(stdout) as T;
      } catch {
        json = undefined;
      }
      resolve({ command, code, stdout, stderr, json });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** One Python result as text, for assertion messages. */
export function explainPython(r: PythonResult<unknown>): string {
  return `${r.command}\nexit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}
