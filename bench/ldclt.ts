/**
 * ldclt, the 389 Directory Server's load client (C, one thread and connection per -n), used
 * for the searches it can express: the reference client of the issue's slapd figures.
 * Debian ships it in 389-ds-base; the package is downloaded once and unpacked into
 * bench/out/tools without installing the server (it runs on the system's libldap and NSS).
 *
 * ldclt reports a rate every 10 s and no latencies, so its measurements have ops/s, CPU and
 * RSS only; the first 10 s sample is the warm-up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, machineCpuSeconds, peakRssMiB, resetPeakRss, samplePeakResident } from './proc.js';
import type { Measurement } from './harness.js';

const TOOLS = fileURLToPath(new URL('../tools/', import.meta.url));
const UNPACKED = join(TOOLS, '389-ds-base', 'usr', 'bin', 'ldclt');

/** The first line of `ldclt` usage output, e.g. `ldclt version 4.23`, or undefined if it does not run. */
function version(path: string): string | undefined {
  const result = spawnSync(path, ['-h'], { encoding: 'utf8', timeout: 10_000 });
  return /ldclt version [\d.]+/.exec(`${result.stdout}${result.stderr}`)?.[0];
}

/**
 * Finds a working ldclt: $LDCLT, then one on the PATH, then the unpacked package, downloading
 * it with apt-get when missing. Returns its path and version, or why there is none.
 */
export function findLdclt(log: (line: string) => void): { path: string; version: string } | { error: string } {
  const candidates = [process.env.LDCLT, 'ldclt', UNPACKED].filter((p): p is string => !!p);
  for (const path of candidates) {
    const v = version(path);
    if (v) return { path, version: v };
  }
  log('ldclt: not found; downloading Debian 389-ds-base to unpack it (apt-get download, no install)');
  const download = mkdtempSync(join(tmpdir(), 'rendezvous-bench-deb-'));
  try {
    const fetched = spawnSync('apt-get', ['download', '389-ds-base'], { cwd: download, encoding: 'utf8', timeout: 300_000 });
    const deb = readdirSync(download).find((f) => f.endsWith('.deb'));
    if (!deb) return { error: `apt-get download 389-ds-base failed: ${(fetched.stderr || fetched.error?.message || '').trim().split('\n').pop()}` };
    mkdirSync(join(TOOLS, '389-ds-base'), { recursive: true });
    const unpack = spawnSync('dpkg-deb', ['-x', join(download, deb), join(TOOLS, '389-ds-base')], { encoding: 'utf8' });
    if (unpack.status !== 0 || !existsSync(UNPACKED)) return { error: `dpkg-deb -x failed: ${unpack.stderr.trim()}` };
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  const v = version(UNPACKED);
  if (!v) {
    const ldd = spawnSync('ldd', [UNPACKED], { encoding: 'utf8' }).stdout ?? '';
    const missing = ldd.split('\n').filter((l) => l.includes('not found')).map((l) => l.trim().split(' ')[0]);
    return { error: `ldclt was unpacked but does not run${missing.length ? ` (missing libraries: ${missing.join(', ')})` : ''}` };
  }
  return { path: UNPACKED, version: v };
}

export interface LdcltCell {
  ldclt: string;
  port: number;
  serverPid: number;
  base: string;
  /** Filter with XXX… where ldclt puts a random number of that many digits, or a fixed filter. */
  filter: string;
  /** Range of the random number; undefined for a fixed filter. */
  high: number | undefined;
  /** Result codes that count as answers, not errors (ldclt's -I). */
  accepts: readonly number[];
  /** Search scope (ldclt's -s). */
  scope: 'one' | 'subtree';
  /** Attributes to ask for (ldclt's -e attrlist); empty: all user attributes. */
  attributes: readonly string[];
  connections: number;
  /** Measured 10 s samples after the warm-up sample. */
  samples: number;
}

/** Runs ldclt for 1 + samples 10 s samples and measures the ones after the first. */
export function measureLdclt(cell: LdcltCell): Promise<Omit<Measurement, 'p50Ms' | 'p99Ms'> & { ldcltErrors: string | undefined }> {
  const random = cell.high === undefined ? [] : ['-r0', `-R${cell.high}`];
  const exec = ['esearch', ...(random.length > 0 ? ['random'] : []), ...(cell.attributes.length > 0 ? [`attrlist=${cell.attributes.join(':')}`] : [])].join(',');
  const ignore = cell.accepts.flatMap((code) => ['-I', String(code)]);
  const args = ['-h', '127.0.0.1', '-p', String(cell.port), '-b', cell.base, '-s', cell.scope, '-f', cell.filter, '-e', exec, ...random, ...ignore, '-n', String(cell.connections), '-N', String(cell.samples + 1)];
  const child = spawn(cell.ldclt, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const rates: number[] = [];
  let output = '';
  let first: { server: number; client: number; machine: number; at: number } | undefined;
  let last = first;
  const snapshot = (): typeof first => ({ server: cpuSeconds(cell.serverPid), client: cpuSeconds(child.pid ?? -1), machine: machineCpuSeconds().busy, at: performance.now() });
  let peak = Number.NaN;
  let together: ReturnType<typeof samplePeakResident> | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), (cell.samples + 4) * 10_000);
    const onLine = (line: string): void => {
      // "ldclt[123]: Average rate: 16037.62/thr  (12830.10/sec), total: 128301"; below 1000/s
      // the figure is padded: "(  31.00/sec)".
      const match = /Average rate:.*\(\s*([\d.]+)\/sec\)/.exec(line);
      if (!match || line.includes('Global')) return;
      if (!first) {
        first = snapshot();
        resetPeakRss(cell.serverPid);
        together = samplePeakResident(cell.serverPid);
        return;
      }
      rates.push(Number(match[1]));
      last = snapshot();
      peak = peakRssMiB(cell.serverPid);
    };
    let partial = '';
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-16_384);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const peakTogether = together?.stop() ?? Number.NaN;
      if (!first || !last || last === first || rates.length === 0) {
        reject(new Error(`ldclt (exit ${code ?? signal}) gave no measured sample: ${output.trim().split('\n').slice(-3).join(' | ') || 'no output'}`));
        return;
      }
      const seconds = (last.at - first.at) / 1000;
      const percent = (cpu: number): number => (100 * cpu) / seconds;
      const server = last.server - first.server;
      const client = last.client - first.client;
      const opsPerSecond = rates.reduce((a, b) => a + b, 0) / rates.length;
      const noErrors = /Global no error occurs/.test(output);
      resolve({
        operations: Math.round(opsPerSecond * seconds),
        opsPerSecond,
        entriesPerOp: Number.NaN,
        errors: {},
        serverCpuPercent: percent(server),
        serverPeakRssMiB: peak,
        serverPeakTogetherMiB: peakTogether,
        clientCpuPercent: percent(client),
        otherCpuPercent: Math.max(0, percent(last.machine - first.machine - server - client)),
        ldcltErrors: noErrors ? undefined : (output.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ') || 'see ldclt output'),
      });
    });
  });
}
