/**
 * The results as Markdown: printed to stdout and written into bench/RESULTS.md between
 * markers of the data-set size, so that a rerun replaces its own section and keeps the rest
 * of the file (the hand-written optimisation log, the other size's section).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Measurement } from './harness.js';
import { projectLoadSeconds, type LoadResult } from './loader.js';
import type { HostSpeed } from './host-speed.js';
import type { Machine } from './machine.js';
import type { BenchOptions } from './options.js';
import type { ProfileSummary } from './profile.js';
import { WORKLOADS, type Target, type WorkloadName } from './workloads.js';
import type { DataSet } from './data.js';
import { SLAPD_THREADS_SOURCE } from './servers.js';

export interface Cell {
  client: 'harness' | 'ldclt';
  workload: WorkloadName;
  connections: number;
  target: Target;
  /** p50/p99 are NaN for ldclt, which reports no latencies. */
  result: Measurement | undefined;
  /** Why the cell has no result, or errors worth a footnote. */
  note?: string;
  /** How the server ran otherwise than in the other cells (e.g. `--busy-poll 0`). */
  variant?: string;
}

export interface RunReport {
  options: BenchOptions;
  machine: Machine;
  loadAfter: number[];
  /** The host's speed at the start and at the end of the run. */
  hostSpeed: HostSpeed[];
  set: DataSet;
  timeRange: { from: number; to: number };
  load: LoadResult[];
  slapadd?: { seconds: number; ldifSeconds: number };
  /** How long Rendezvous took to bring its time-clustered copy up to date after the load (undefined: not reported). */
  copySeconds?: number | undefined;
  /** How long `sync` took after loading (dirty pages written back before measuring). */
  syncSeconds?: number | undefined;
  startupMs: number[];
  rssAfterStartMiB: number;
  /** Size of Rendezvous's database files (main file and WAL) after loading, MiB. */
  databaseMiB?: number | undefined;
  cells: Cell[];
  ldclt: string;
  /** Rendezvous under node --cpu-prof (ops/s are lower than unprofiled). */
  profiles: Array<ProfileSummary & { workload: WorkloadName; connections: number; opsPerSecond: number }>;
  notes: string[];
  /** How the servers ran: slapd's whole slapd.conf (root password elided) and Rendezvous's command line. */
  configuration: { slapd?: string; serve?: string };
}

const NAMES: Record<Target, string> = { rendezvous: 'Rendezvous', slapd: 'slapd' };

/** Other processes' CPU (% of one core) from which a cell counts as disturbed. */
const DISTURBED = 50;

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '—');
const pct = (n: number): string => (Number.isFinite(n) ? `${Math.round(n)}` : '—');
const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : '—');
const iso = (t: number): string => new Date(t).toISOString().replace(/:00\.000Z$/, 'Z');

/** Server CPU per operation, microseconds: what each answer cost the server, all its processes. */
export function cpuMicrosPerOp(m: Measurement): number {
  return m.opsPerSecond > 0 ? (m.serverCpuPercent * 10_000) / m.opsPerSecond : Number.NaN;
}

const label = (c: Cell): string => `${NAMES[c.target]}${c.variant ? ` (\`${c.variant}\`)` : ''}`;

function errors(m: Measurement): string {
  const entries = Object.entries(m.errors);
  return entries.length === 0 ? '' : entries.map(([code, n]) => `${code === '-1' ? 'lost' : `rc ${code}`} ×${n}`).join(', ');
}

/** `add p50 12 ms p99 30 ms; delete …` when the workload mixes request types. */
function perRequest(m: Measurement): string {
  return Object.entries(m.byRequest ?? {})
    .map(([name, r]) => `${name} p50 ${ms(r.p50Ms)} p99 ${ms(r.p99Ms)} ms`)
    .join('; ');
}

/** Table cells are one line. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '/');

function table(cells: readonly Cell[], latencies: boolean): string[] {
  const head = latencies
    ? ['| conns | server | ops/s | p50 ms | p99 ms | server CPU % | server CPU µs/op | peak RSS MiB | peak together MiB | entries/op | client CPU % | other CPU % | ours/slapd | notes |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|']
    : ['| conns | server | ops/s | server CPU % | server CPU µs/op | peak RSS MiB | peak together MiB | ldclt CPU % | other CPU % | ours/slapd | notes |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'];
  const rows = cells.map((c) => {
    const m = c.result;
    const slapd = cells.find((o) => o.target === 'slapd' && o.connections === c.connections)?.result;
    const r = c.target === 'rendezvous' ? ratio(m?.opsPerSecond, slapd?.opsPerSecond) : '';
    if (!m) return `| ${c.connections} | ${label(c)} | failed | ${latencies ? '| | | | | | | | | | |' : '| | | | | | |'} ${oneLine(c.note ?? '')} |`;
    const note = oneLine([perRequest(m), errors(m), c.note].filter(Boolean).join('; '));
    return latencies
      ? `| ${c.connections} | ${label(c)} | ${int(m.opsPerSecond)} | ${ms(m.p50Ms)} | ${ms(m.p99Ms)} | ${pct(m.serverCpuPercent)} | ${int(cpuMicrosPerOp(m))} | ${int(m.serverPeakRssMiB)} | ${int(m.serverPeakTogetherMiB)} | ${c.workload === 'addDelete' || c.workload === 'refresh' ? '' : m.entriesPerOp.toFixed(1)} | ${pct(m.clientCpuPercent)} | ${pct(m.otherCpuPercent)} | ${r} | ${note} |`
      : `| ${c.connections} | ${label(c)} | ${int(m.opsPerSecond)} | ${pct(m.serverCpuPercent)} | ${int(cpuMicrosPerOp(m))} | ${int(m.serverPeakRssMiB)} | ${int(m.serverPeakTogetherMiB)} | ${pct(m.clientCpuPercent)} | ${pct(m.otherCpuPercent)} | ${r} | ${note} |`;
  });
  return [...head, ...rows];
}

export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 3 * 86_400) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86_400)} days`;
}

/** The Markdown section of one run. */
export function renderReport(r: RunReport): string {
  const { machine: m, options: o, set } = r;
  const size = set.conferences.toLocaleString('en-US');
  const lines: string[] = [];
  lines.push(`## ${size} conferences, ${set.people.toLocaleString('en-US')} people`, '');
  lines.push(`Generated by \`npm run bench -- --size ${set.conferences}\` on ${m.date}. Rerunning replaces this section.`, '');
  lines.push('### Machine', '');
  lines.push('| | |', '|---|---|');
  lines.push(`| CPU | ${m.cpus} × ${m.cpuModel} |`);
  lines.push(`| memory | ${m.memoryGiB.toFixed(1)} GiB |`);
  lines.push(`| kernel | Linux ${m.kernel}${m.pageOut ? `; ${m.pageOut}` : ''} |`);
  lines.push(`| Node.js | ${m.node} |`);
  lines.push(`| slapd | ${m.slapd} (back_mdb, dds; \`loglevel ${o.slapdLoglevel}\`${o.slapdLoglevel === '0' ? ': no logging, as Rendezvous logs nothing per operation (slapd.conf(5): the loglevel defaults to stats, several syslog lines per operation)' : ''}; \`threads\` as below) |`);
  lines.push(`| ldclt | ${oneLine(r.ldclt)} |`);
  lines.push(`| Rendezvous | ${m.revision}, built into the run's own directory at its start; ${o.workers === undefined ? `\`serve\` default of one worker process per core (${m.cpus})` : `\`serve --workers ${o.workers}\``} |`);
  lines.push(`| load average (1/5/15 min) | ${m.loadBefore.map((x) => x.toFixed(2)).join(' / ')} before, ${r.loadAfter.map((x) => x.toFixed(2)).join(' / ')} after |`);
  if (r.hostSpeed.length > 0) {
    const at = (f: (h: HostSpeed) => string): string => r.hostSpeed.map(f).join(' at the start, ') + (r.hostSpeed.length > 1 ? ' at the end' : ' at the start');
    lines.push(`| host speed (bench/host-speed.ts; lower is faster) | 4 KiB \`pread\` from the page cache: ${at((h) => `${h.preadUs.toFixed(2)} µs`)}; fixed JavaScript work: ${at((h) => `${h.jsMs.toFixed(0)} ms`)} |`);
  }
  lines.push('');
  lines.push(
    'Client, servers and whatever else runs share the same cores. *client CPU* is the load generator, *other CPU* the rest of the machine during the window (other processes, kernel, steal); a large *other* means the cell was disturbed.',
    '',
  );
  lines.push(...configuration(r));
  lines.push('### Data and load', '');
  lines.push(
    `Seed ${set.seed}; conference start times spread from ${iso(r.timeRange.from)} to ${iso(r.timeRange.to)} (around ${iso(set.baseTime)}); audio and (60%) video media on their own multicast groups, 1.5% repeated weekly or daily, 0.2% permanent, 25% dynamic; every person dynamic. Loaded over LDAP with ${o.loadConnections} connections per server, one add per operation (Rendezvous: WAL, synchronous=FULL; slapd: back_mdb, fsync per transaction: both durable).`,
    '',
  );
  lines.push('| server | entries | seconds | adds/s | p50 ms | p99 ms | errors |', '|---|---:|---:|---:|---:|---:|---|');
  for (const l of r.load) {
    lines.push(`| ${NAMES[l.target]} | ${int(l.entries)} | ${l.seconds.toFixed(1)} | ${int(l.addsPerSecond)} | ${ms(l.p50Ms)} | ${ms(l.p99Ms)} | ${Object.entries(l.errors).map(([c, n]) => `rc ${c} ×${n}`).join(', ')} |`);
  }
  if (r.slapadd) lines.push(`| slapd (slapadd -q) | ${int(set.conferences + set.people)} | ${r.slapadd.seconds.toFixed(1)} | ${int((set.conferences + set.people) / r.slapadd.seconds)} | | | LDIF written in ${r.slapadd.ldifSeconds.toFixed(1)} s |`);
  lines.push('');
  if (r.copySeconds !== undefined) {
    lines.push(`Rendezvous brought its time-clustered copy of the conferences (filled while writes pause; time-window searches read it) up to date ${r.copySeconds.toFixed(1)} s after its load ended${o.slapdLoad === 'slapadd' && r.slapadd ? ', while slapd was bulk-loaded' : ''}; the cells ran after that.`, '');
  }
  if (r.syncSeconds !== undefined) lines.push(`After loading, \`sync\` wrote back what the loads left dirty (${r.syncSeconds.toFixed(1)} s), so that no cell is measured during writeback.`, '');
  for (const l of r.load) {
    if (l.curve.length < 2) continue;
    const points = (kind: string): string[] => l.curve.filter((p) => p.kind === kind).map((p) => `${int(p.loaded)}: ${int(p.addsPerSecond)}`);
    const parts = (['conferences', 'people'] as const).filter((k) => points(k).length > 0).map((k) => `${k} ${points(k).join(', ')}`);
    lines.push(`${NAMES[l.target]} add rate as the directory grows (entries already loaded: adds/s): ${parts.join('; ')}.`, '');
  }
  const ours = r.load.find((l) => l.target === 'rendezvous');
  if (ours && set.conferences < 1_000_000) {
    const seconds = projectLoadSeconds(ours.curve, 1_000_000, 100_000);
    if (seconds !== undefined) {
      lines.push(
        `Extrapolated from that curve (time per conference add fitted as a straight line in the number of entries; people at their measured rate), loading 1,000,000 conferences and 100,000 people into Rendezvous this way would take about ${duration(seconds)}, plus about 4 minutes of data generation (a rough figure: the fit follows the slowest chunks, and a chunk run while the machine was busy looks slower).`,
        '',
      );
    }
  }
  lines.push('### Startup of Rendezvous on the loaded database', '');
  lines.push(
    `Database of ${int(ours?.entries ?? Number.NaN)} entries${r.databaseMiB === undefined ? '' : ` (${int(r.databaseMiB)} MiB on disk)`}. From spawning \`bin/rendezvous serve\` (the node flags of its first line) to its \`listening on\` line: ${r.startupMs.map((t) => `${Math.round(t)} ms`).join(', ')} (${r.startupMs.length} restarts); RSS right after: ${int(r.rssAfterStartMiB)} MiB.`,
    '',
  );
  if (r.cells.some((c) => c.client === 'harness')) lines.push('### Workloads (Node harness)', '');
  if (r.cells.some((c) => c.client === 'harness')) {
    lines.push(
      `Closed loop, one operation outstanding per connection, requests pre-encoded; ${o.warmupMs / 1000} s warm-up then ${o.durationMs / 1000} s measured per cell, at most ${o.processes} load processes. Latency is per operation, client side. *ours/slapd* is the ratio of ops/s measured in the same run. Peak RSS is the server's high-water mark during the window, summed over its processes, which counts the pages they share (Node's own code, about 45 MiB a process) once per process; *peak together* counts those once: the processes' private pages plus the file and shared pages of the one mapping the most, the peak of samples every 250 ms.`,
      '',
    );
  }
  for (const name of o.workloads) {
    const cells = r.cells.filter((c) => c.client === 'harness' && c.workload === name);
    if (cells.length === 0) continue;
    lines.push(`#### ${name}`, '', WORKLOADS[name].describe(set), '', ...table(cells, true), '');
  }
  const ldcltCells = r.cells.filter((c) => c.client === 'ldclt');
  if (ldcltCells.length > 0) {
    lines.push('### Searches with ldclt', '');
    lines.push('`ldclt -e esearch,random` (with `attrlist=` where the workload names attributes; `-s subtree` from the suffix for *subtree*, `-s one` under the container otherwise; the fixed filter of the NetMeeting listing without `random`, and `-I 4`: sizeLimitExceeded counts as an answer), one thread and connection per -n; one 10 s warm-up sample, then the measured samples. ldclt reports no latencies.', '');
    for (const name of new Set(ldcltCells.map((c) => c.workload))) {
      lines.push(`#### ${name}`, '', ...table(ldcltCells.filter((c) => c.workload === name), false), '');
    }
  }
  lines.push(...busyPolling(r));
  for (const p of r.profiles) {
    lines.push(`### Profile of Rendezvous: ${p.workload}, ${p.connections} connections`, '');
    lines.push(
      `\`node --cpu-prof\` during one harness cell (${int(p.opsPerSecond)} ops/s under the profiler); ${Math.round(p.busyMs)} ms busy, ${Math.round(p.idleMs)} ms idle in the profile, which covers the server's whole life. Top 10 by self time (share of busy time):`,
      '',
    );
    lines.push('| # | function (file:line) | self ms | % |', '|---:|---|---:|---:|');
    p.top.forEach((f, i) => lines.push(`| ${i + 1} | \`${f.name}\` | ${Math.round(f.selfMs)} | ${f.percent.toFixed(1)} |`));
    lines.push('');
  }
  const notes = [...r.notes];
  const disturbed = r.cells.filter((c) => c.result && c.result.otherCpuPercent >= DISTURBED);
  // The load average at the start is other work (the benchmark's own has not begun).
  const busy = m.loadBefore[0]! >= m.cpus / 2;
  if (busy || disturbed.length > 0) {
    notes.push(
      `Other processes were running on this ${m.cpus}-core machine during the run (load average ${m.loadBefore[0]!.toFixed(2)} at the start, ${r.loadAfter[0]!.toFixed(2)} at the end). ` +
        (disturbed.length === 0
          ? 'No cell lost more than half a core to them.'
          : `Cells where they took at least half a core (other CPU ≥ ${DISTURBED}%), whose absolute figures are low and whose ratio is less reliable: ${disturbed.map((c) => `${c.client} ${c.workload} ×${c.connections} ${label(c)}`).join(', ')}.`),
    );
  }
  if (notes.length > 0) lines.push('### Notes', '', ...notes.map((n) => `- ${oneLine(n)}`), '');
  return lines.join('\n');
}

/** The servers' configuration, to reproduce the run: slapd.conf as written, and the serve command line. */
function configuration(r: RunReport): string[] {
  const { slapd, serve } = r.configuration;
  if (!slapd && !serve) return [];
  const lines = ['### Configuration', ''];
  if (serve) lines.push('Rendezvous (`$TMP`: the run\'s temporary directory):', '', '```sh', serve, '```', '');
  if (slapd) {
    lines.push(
      `slapd, run as \`slapd -d none -f slapd.conf -h ldap://127.0.0.1:PORT/\` with this slapd.conf (written by bench/servers.ts and test/helpers/slapd.ts; the root password elided). \`threads\` follows ${SLAPD_THREADS_SOURCE}.${r.options.slapdLoglevel === '0' ? ' `loglevel 0`: no logging (slapd.conf(5): the loglevel defaults to stats, several syslog lines per operation; Rendezvous logs nothing per operation); `--slapd-loglevel stats` compares with logging on.' : ''}`,
      '',
      '```',
      slapd.trimEnd(),
      '```',
      '',
    );
  }
  return lines;
}

/**
 * Busy polling's price next to its gain (--busy-poll-compare): each equality cell at one
 * connection measured with Rendezvous's default and with `--busy-poll 0`.
 */
function busyPolling(r: RunReport): string[] {
  const off = r.cells.filter((c) => c.variant && c.result);
  if (off.length === 0) return [];
  const lines = ['### Busy polling: gain and CPU cost', ''];
  lines.push('The equality cells at 1 connection, Rendezvous with its default busy polling and again with `--busy-poll 0` (the rows marked so in the tables above); CPU per operation is the server\'s, all its processes.', '');
  lines.push('| client | ops/s polling | ops/s not | gain | server CPU µs/op polling | not | extra CPU µs per request | slapd ops/s | ours/slapd polling | not |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of off) {
    const on = r.cells.find((o) => o.client === c.client && o.workload === c.workload && o.connections === c.connections && o.target === 'rendezvous' && !o.variant)?.result;
    const slapd = r.cells.find((o) => o.client === c.client && o.workload === c.workload && o.connections === c.connections && o.target === 'slapd')?.result;
    const m = c.result!;
    const gain = on ? `${((on.opsPerSecond / m.opsPerSecond - 1) * 100).toFixed(0)}%` : '—';
    lines.push(`| ${c.client} | ${int(on?.opsPerSecond ?? Number.NaN)} | ${int(m.opsPerSecond)} | ${gain} | ${int(on ? cpuMicrosPerOp(on) : Number.NaN)} | ${int(cpuMicrosPerOp(m))} | ${on ? int(cpuMicrosPerOp(on) - cpuMicrosPerOp(m)) : '—'} | ${int(slapd?.opsPerSecond ?? Number.NaN)} | ${ratio(on?.opsPerSecond, slapd?.opsPerSecond)} | ${ratio(m.opsPerSecond, slapd?.opsPerSecond)} |`);
  }
  lines.push('');
  return lines;
}

const begin = (key: string): string => `<!-- bench:${key}:begin -->`;
const end = (key: string): string => `<!-- bench:${key}:end -->`;

/**
 * Replaces (or appends) a section in the results file: `key` is the data-set size for the
 * workload section, `live-<size>` for the live-update one.
 */
export async function updateResults(path: string, size: string, section: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '# Benchmark results\n\nWritten by `npm run bench` (docs/benchmark.md).\n';
  }
  const block = `${begin(size)}\n${section.trimEnd()}\n${end(size)}`;
  const from = text.indexOf(begin(size));
  const to = text.indexOf(end(size));
  text = from >= 0 && to > from ? `${text.slice(0, from)}${block}${text.slice(to + end(size).length)}` : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(path, text);
}
