/**
 * What the numbers were measured on: they mean nothing without the machine, the software
 * versions, the code revision and how busy the machine was with other work.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
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
  /** The kernel's proactive page-out of memory left unused (DAMON), when it runs; undefined otherwise. */
  pageOut: string | undefined;
}

/** A sysfs value, or undefined when it cannot be read. */
function sysfs(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/**
 * DAMON schemes that page memory out (`action` pageout) on a running kdamond: such a kernel
 * evicts file pages nobody touched for a while, the database's among them, so a cell can
 * read the disk although the cache was warmed before it (seen on the 1,000,000 runs here).
 */
function damonPageOut(): string | undefined {
  const root = '/sys/kernel/mm/damon/admin/kdamonds';
  for (const k of list(root)) {
    if (sysfs(`${root}/${k}/state`) !== 'on') continue;
    for (const c of list(`${root}/${k}/contexts`)) {
      const context = `${root}/${k}/contexts/${c}`;
      const aggregationUs = Number(sysfs(`${context}/monitoring_attrs/intervals/aggr_us`));
      for (const s of list(`${context}/schemes`)) {
        const scheme = `${context}/schemes/${s}`;
        if (sysfs(`${scheme}/action`) !== 'pageout') continue;
        const age = Number(sysfs(`${scheme}/access_pattern/age/min`));
        const unused = Number.isFinite(age * aggregationUs) ? ` of memory unused for ${Math.round((age * aggregationUs) / 1e6)} s` : '';
        return `DAMON pageout${unused} (quota ${Math.round(Number(sysfs(`${scheme}/quotas/bytes`)) / 2 ** 20)} MiB per ${sysfs(`${scheme}/quotas/reset_interval_ms`)} ms)`;
      }
    }
  }
  return undefined;
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
    pageOut: damonPageOut(),
  };
}
