/**
 * Process and machine accounting from /proc (Linux): CPU time of a process (all its
 * threads), its resident set and peak, and the whole machine's busy time, so each
 * measurement can say how much CPU went to the server, to the load generator and to
 * everything else running at the time.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc CPU times (100 nearly everywhere; asked once). */
function hz(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Each process's parent, from /proc/<pid>/stat. */
function parentIds(): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return parentOf;
}

/** The child processes of `pid` (the worker processes of `rendezvous serve --workers N`). */
export function childrenOf(pid: number): number[] {
  return [...parentIds()].filter(([, parent]) => parent === pid).map(([child]) => child);
}

/**
 * The process and its descendants (the worker processes of `rendezvous serve --workers N`),
 * from the parent ids in /proc/<pid>/stat.
 */
export function processTree(pid: number): number[] {
  const parentOf = parentIds();
  const tree = [pid];
  for (let i = 0; i < tree.length; i += 1) for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** CPU seconds of a process and its descendants (see {@link processCpuSeconds}). */
export function cpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + processCpuSeconds(p), 0);
}

/**
 * CPU seconds of a process alone and of each of its children (the primary and the worker
 * processes of `rendezvous serve`), children in pid order.
 */
export function cpuByProcess(pid: number): { own: number; children: number[] } {
  return { own: processCpuSeconds(pid), children: childrenOf(pid).sort((a, b) => a - b).map(processCpuSeconds) };
}

/** CPU seconds (user + system, every thread) the process has used; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / hz();
  } catch {
    return 0;
  }
}

/** What /proc/<pid>/status says in kB (VmHWM: peak resident set, VmRSS: current; RssAnon...: by kind). */
type StatusField = 'VmHWM' | 'VmRSS' | 'RssAnon' | 'RssFile' | 'RssShmem';

/** These fields of /proc/<pid>/status in kB, NaN for one it lacks; undefined once the process is gone. */
function statusKb<F extends StatusField>(pid: number, fields: readonly F[]): Record<F, number> | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const values = {} as Record<F, number>;
  for (const field of fields) values[field] = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return values;
}

/** One field of /proc/<pid>/status in MiB; NaN when it is missing or the process gone. */
const statusMiB = (pid: number, field: 'VmHWM' | 'VmRSS'): number => (statusKb(pid, [field])?.[field] ?? Number.NaN) / 1024;

/** Summed over the process and its descendants: the peak is an upper bound of their peak together. */
const treeMiB = (pid: number, field: 'VmHWM' | 'VmRSS'): number => processTree(pid).reduce((sum, p) => sum + statusMiB(p, field), 0);

export const peakRssMiB = (pid: number): number => treeMiB(pid, 'VmHWM');
export const rssMiB = (pid: number): number => treeMiB(pid, 'VmRSS');

/**
 * The peak, over samples taken every `intervalMs` until stopped, of the memory a process and
 * its descendants hold together, in MiB: their private (anonymous) pages, plus the file and
 * shared pages of the one that maps the most. Summed RSS counts the pages the processes share
 * (Node's own code, about 45 MiB a process) once per process; processes of one program map
 * the same files, so these are counted once here. There is no kernel peak for it: a peak
 * between samples is missed.
 */
export function samplePeakResident(pid: number, intervalMs = 250): { stop(): number } {
  let peak = Number.NaN;
  const take = (): void => {
    let anon = 0;
    let shared = 0;
    for (const p of processTree(pid)) {
      const kb = statusKb(p, ['RssAnon', 'RssFile', 'RssShmem']);
      if (!kb) continue;
      // A kernel without one of these fields counts it as nothing.
      anon += kb.RssAnon || 0;
      shared = Math.max(shared, (kb.RssFile || 0) + (kb.RssShmem || 0));
    }
    const mib = (anon + shared) / 1024;
    if (!(mib <= peak)) peak = mib;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/**
 * Resets the process's peak RSS to its current RSS (clear_refs value 5, Linux 4.0+), so that
 * a measurement's peak is its own and not that of the load before it. False when the kernel
 * or our permissions do not allow it: the peak is then the process's lifetime peak.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    for (const p of processTree(pid)) writeFileSync(`/proc/${p}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Busy and total CPU seconds of the whole machine, all cores, since boot. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / hz(), total: (busy + idle + iowait) / hz() };
}
