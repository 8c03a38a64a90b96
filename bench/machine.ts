/**
 * What the numbers were measured on: they mean nothing without the machine, the software
 * versions, the code revision and how busy the machine was with other work.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { SLAPD } from '../test/helpers/slapd.js';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  slapd: string;
  revision: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadBefore: number[];
}

/** A command's stdout and stderr together (slapd -VV prints its version on stderr). */
function quiet(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd, timeout: 10_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
}

export function describeMachine(repository: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const head = quiet('git', ['rev-parse', '--short', 'HEAD'], repository);
  const dirty = quiet('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'schema', 'bin'], repository) !== '';
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    kernel: release(),
    node: process.version,
    slapd: /slapd [^\s]+/.exec(quiet(SLAPD, ['-VV']))?.[0] ?? 'not installed',
    revision: dirty ? `${head} + uncommitted changes in src/` : head,
    loadBefore: loadavg(),
  };
}
