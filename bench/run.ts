/**
 * `npm run bench`: Rendezvous against OpenLDAP slapd on the same data, the same machine and
 * the same clients. Generates and loads the data set into both, times Rendezvous's startup
 * on it, sweeps every workload over the connection counts with the Node harness (and the
 * searches ldclt can express with ldclt), profiles Rendezvous once, then prints the results
 * and updates bench/RESULTS.md. Everything runs on 127.0.0.1 in a temporary directory that
 * is removed at the end, on errors and on Ctrl-C.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type Slapd } from '../test/helpers/slapd.js';
import { LoadConnection } from './connection.js';
import { conferenceUid, CONTAINER, SUFFIX, timeRange, type DataSet } from './data.js';
import { measure } from './harness.js';
import { runLive, type LiveReport } from './live.js';
import { renderLiveReport } from './live-report.js';
import { findLdclt, measureLdclt, type LdcltCell } from './ldclt.js';
import { BASE_ENTRIES, writeLdif } from './ldif.js';
import { load, projectLoadSeconds, type LoadTarget } from './loader.js';
import { probeHostSpeed } from './host-speed.js';
import { describeMachine } from './machine.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { warmPageCache } from './page-cache.js';
import { cpuSeconds, machineCpuSeconds, rssMiB } from './proc.js';
import { summarizeProfile } from './profile.js';
import { cpuMicrosPerOp, duration, renderReport, updateResults, type Cell, type RunReport } from './report.js';
import { buildServer, createAdmin, printableSlapdConfig, REPO, serveCommandLine, slapaddAndRestart, startBenchSlapd, startRendezvous, type RendezvousProcess } from './servers.js';
import { filterText } from './requests.js';
import { BLOB_ATTRIBUTES, NETMEETING_ATTRIBUTES, NETMEETING_FILTER, TIMES_ATTRIBUTES, uidPrefix, WORKLOADS, type Target, type WorkloadName } from './workloads.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The serve flag of the busy-polling comparison (--busy-poll-compare): polling off. */
const NO_BUSY_POLL = ['--busy-poll', '0'];

/** What must be undone whatever happens, latest first. */
const cleanups: Array<() => Promise<void>> = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!().catch((error: Error) => log(`cleanup: ${error.message}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the servers and removing the temporary directory`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** A server as the measurements see it. */
interface Server {
  target: Target;
  port: number;
  pid: number;
  bind: { dn: string; password: string };
}

/**
 * Checks that the servers hold the same data: the first requests of each search workload, run
 * one by one on every server, must find the same number of entries everywhere (slapd was
 * given startTime/stopTime explicitly, Rendezvous derived them: this is where a disagreement
 * would show). Returns a description of the differences, empty when there are none.
 */
async function compareAnswers(all: readonly Server[], set: DataSet, seed: number, workloads: readonly WorkloadName[], slapdSkip: readonly WorkloadName[]): Promise<string[]> {
  const differences: string[] = [];
  for (const workload of workloads.filter((w) => !WORKLOADS[w].bind)) {
    const counts: number[][] = [];
    const servers = all.filter((s) => s.target !== 'slapd' || !slapdSkip.includes(workload));
    if (servers.length < 2) continue;
    // A listing answers hundreds of entries a request: fewer of them say as much.
    const requests = workload === 'netmeeting' ? 10 : 100;
    const accepted = WORKLOADS[workload].accepts ?? [];
    for (const server of servers) {
      const source = WORKLOADS[workload].source({ set, target: server.target, connection: 0, seed });
      const connection = await LoadConnection.open(server.port);
      const found: number[] = [];
      try {
        for (let i = 0; i < requests; i += 1) {
          const { code, entries, final } = await connection.request(source.next(), source.controls?.());
          source.answered?.(final);
          found.push(code === 0 || accepted.includes(code) ? entries : -code);
        }
      } finally {
        connection.close();
      }
      counts.push(found);
    }
    const differing = counts[0]!.filter((n, i) => counts.some((c) => c[i] !== n)).length;
    const total = (c: number[]): number => c.reduce((a, b) => a + b, 0);
    if (differing > 0) differences.push(`${workload}: ${differing} of ${requests} searches found different numbers of entries (${servers.map((s, i) => `${s.target} ${total(counts[i]!)}`).join(', ')} in all)`);
    else if (total(counts[0]!) === 0) differences.push(`${workload}: the check searches found nothing on any server`);
  }
  return differences;
}

async function main(options: BenchOptions): Promise<void> {
  const machine = describeMachine(REPO);
  const set: DataSet = { conferences: options.size, people: options.people, seed: options.seed, baseTime: options.baseTime };
  const report: RunReport = {
    options,
    machine,
    loadAfter: [],
    hostSpeed: [],
    set,
    timeRange: timeRange(set),
    load: [],
    startupMs: [],
    rssAfterStartMiB: Number.NaN,
    cells: [],
    ldclt: 'not used',
    profiles: [],
    notes: [],
    configuration: {},
  };
  log(`bench: ${set.conferences} conferences, ${set.people} people on ${machine.cpus} × ${machine.cpuModel}; load average ${machine.loadBefore.map((x) => x.toFixed(2)).join(' ')}`);

  const dir = await mkdtemp(join(tmpdir(), 'rendezvous-bench-'));
  cleanups.push(async () => {
    if (options.keep) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  });

  report.hostSpeed.push(probeHostSpeed(dir));
  log(`host: 4 KiB pread ${report.hostSpeed[0]!.preadUs.toFixed(2)} µs, fixed JS work ${report.hostSpeed[0]!.jsMs.toFixed(0)} ms`);

  // Servers. Rendezvous from a build of this moment's working tree, used for the whole run.
  const serverDir = join(dir, 'server');
  const bin = await buildServer(serverDir);
  const serveFlags = options.workers === undefined ? [] : ['--workers', String(options.workers)];
  const dbPath = join(dir, 'rendezvous.db');
  const admin = await createAdmin(bin, dir, dbPath);
  report.configuration.serve = serveCommandLine(bin, dbPath.replace(dir, '$TMP'), serveFlags);
  let rendezvous: RendezvousProcess = await startRendezvous(bin, dbPath, [], 0, serveFlags);
  cleanups.push(() => rendezvous.stop());
  let slapd: Slapd | undefined;
  if (options.slapd) {
    try {
      slapd = await startBenchSlapd({ logLevel: options.slapdLoglevel });
      cleanups.push(() => slapd!.stop());
      report.configuration.slapd = printableSlapdConfig(await readFile(slapd.configFile, 'utf8'));
    } catch (error) {
      report.notes.push(`slapd could not be started, so there is no comparison: ${(error as Error).message.split('\n')[0]}`);
      log(`bench: ${report.notes.at(-1)}`);
    }
  }
  const slapdBind = slapd ? { dn: slapd.rootDn, password: slapd.rootPw } : undefined;
  let slapdPid = slapd?.pid ?? -1;
  // The reference provider of the live latency cells (--live-provider slapd): a slapd of its
  // own with syncprov, so that the compared slapd's writes stay as they were measured.
  let syncSlapd: { server: Slapd; pid: number; config: string } | undefined;
  if (options.live.includes('latency') && options.liveProviders.includes('slapd')) {
    const server = await startBenchSlapd({ logLevel: options.slapdLoglevel, syncprov: true });
    cleanups.push(() => server.stop());
    syncSlapd = { server, pid: server.pid, config: printableSlapdConfig(await readFile(server.configFile, 'utf8')) };
  }

  // Load.
  const targets: LoadTarget[] = [{ target: 'rendezvous', port: rendezvous.port, bind: admin }];
  if (slapd && options.slapdLoad === 'ldap') targets.push({ target: 'slapd', port: slapd.port, bind: slapdBind!, prelude: BASE_ENTRIES });
  const loadStarted = Date.now();
  report.load = await load(set, targets, options.loadConnections, (done, total, curves) => {
    const seconds = (Date.now() - loadStarted) / 1000;
    // Adds may get slower as the directory grows: project from the curve, not linearly.
    const projected = Math.max(...curves.map((c) => projectLoadSeconds(c.curve, set.conferences, set.people) ?? (seconds / done) * total));
    log(`load: ${done}/${total} entries in ${seconds.toFixed(0)} s; projected total ${duration(projected)}`);
    // Decide on some evidence: two minutes of loading and three chunks at least.
    const evidence = seconds >= 120 && curves.every((c) => c.curve.length >= 3);
    if (options.maxLoadMinutes > 0 && evidence && projected > options.maxLoadMinutes * 60 && done < total) {
      report.notes.push(
        `Loading stopped after ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} entries: at the add rates measured so far it was projected to take ${duration(projected)}, more than --max-load-minutes ${options.maxLoadMinutes}. ${slapd && options.slapdLoad === 'slapadd' ? 'slapd was not bulk-loaded, and no' : 'No'} workload was measured on the partial data.`,
      );
      return false;
    }
    return true;
  });
  for (const l of report.load) log(`load: ${l.target} ${Math.round(l.addsPerSecond)} adds/s (p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms)`);
  if (syncSlapd && options.slapdLoad === 'ldap') {
    const [loaded] = await load(set, [{ target: 'slapd', port: syncSlapd.server.port, bind: { dn: syncSlapd.server.rootDn, password: syncSlapd.server.rootPw }, prelude: BASE_ENTRIES }], options.loadConnections, () => true);
    log(`load: slapd with syncprov ${Math.round(loaded!.addsPerSecond)} adds/s${Object.keys(loaded!.errors).length ? ` errors ${JSON.stringify(loaded!.errors)}` : ''}`);
  }
  // Rendezvous fills its time-clustered copy of the conferences once its writes pause, from
  // the end of its load (the server reports when it is up to date; the loads take turns, so
  // it may be up to date before slapd's load ends); waited for below.
  const loadEnded = report.load.find((l) => l.target === 'rendezvous')?.endedAt ?? performance.now();
  const copyReported = rendezvous.copyReportSince(loadEnded);
  const complete = report.load.every((l) => l.entries === set.conferences + set.people);
  if (complete && (slapd || syncSlapd) && options.slapdLoad === 'slapadd') {
    const ldif = join(dir, 'data.ldif');
    const started = performance.now();
    await writeLdif(ldif, set);
    const ldifSeconds = (performance.now() - started) / 1000;
    if (slapd) {
      const { seconds, process: restarted } = await slapaddAndRestart(slapd, ldif);
      cleanups.push(() => restarted.stop());
      slapdPid = restarted.pid;
      report.slapadd = { seconds, ldifSeconds };
      log(`load: slapadd ${seconds.toFixed(1)} s (LDIF ${ldifSeconds.toFixed(1)} s)`);
    }
    if (syncSlapd) {
      const { seconds, process: restarted } = await slapaddAndRestart(syncSlapd.server, ldif);
      cleanups.push(() => restarted.stop());
      syncSlapd.pid = restarted.pid;
      log(`load: slapadd into slapd with syncprov ${seconds.toFixed(1)} s`);
    }
    await rm(ldif, { force: true });
  }

  // No cell (nor the size on disk) is measured before Rendezvous's copy is up to date.
  const copyTimeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30 * 60_000).unref());
  if (await Promise.race([copyReported.then(() => true), copyTimeout])) report.copySeconds = (performance.now() - loadEnded) / 1000;
  log(`load: time-clustered copy ${report.copySeconds === undefined ? 'not reported up to date within 30 minutes' : `up to date ${report.copySeconds.toFixed(1)} s after the load`}`);
  // Loading leaves gigabytes of dirty pages at 1,000,000 entries (both databases, the LDIF):
  // measured while the kernel writes them back, the first cells read the disk in competition
  // with that writeback. Flush them first, so every cell starts from a quiet disk.
  const syncStarted = performance.now();
  const synced = await run('sync', [], undefined, 600_000);
  report.syncSeconds = synced.code === 0 ? (performance.now() - syncStarted) / 1000 : undefined;
  log(`load: sync ${synced.code === 0 ? `${report.syncSeconds!.toFixed(1)} s` : `failed: ${synced.stderr.trim()}`}`);
  report.databaseMiB = [dbPath, `${dbPath}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0) / 2 ** 20;
  log(`load: database ${report.databaseMiB.toFixed(0)} MiB`);

  // Startup on the loaded database: three restarts.
  for (let i = 0; i < 3; i += 1) {
    await rendezvous.stop();
    rendezvous = await startRendezvous(bin, dbPath, [], 0, serveFlags);
    report.startupMs.push(rendezvous.startupMs);
  }
  report.rssAfterStartMiB = rssMiB(rendezvous.pid);
  log(`startup: ${report.startupMs.map((t) => Math.round(t)).join(', ')} ms, RSS ${Math.round(report.rssAfterStartMiB)} MiB`);

  // Every cell then measures servers whose data is in the OS cache, both alike. Read again
  // before each cell: a kernel that pages out what was not touched for a while (DAMON,
  // machine table) had evicted the file by the later cells, which then read the disk.
  const cachePaths = [dbPath, `${dbPath}-wal`, ...(slapd ? [slapd.dir] : []), ...(syncSlapd ? [syncSlapd.server.dir] : [])];
  const warmed = await warmPageCache(cachePaths);
  let rewarmSeconds = 0;
  log(`cache: read ${(warmed.bytes / 2 ** 20).toFixed(0)} MiB of database files in ${warmed.seconds.toFixed(1)} s`);

  const servers = (): Server[] => [
    { target: 'rendezvous', port: rendezvous.port, pid: rendezvous.pid, bind: admin },
    ...(slapd ? [{ target: 'slapd' as const, port: slapd.port, pid: slapdPid, bind: slapdBind! }] : []),
  ];
  if (slapd && options.slapdSkip.length > 0) {
    report.notes.push(`Measured on Rendezvous only (--slapd-skip): ${options.slapdSkip.join(', ')}. At this size slapd takes too long per search to wait for them (its time-window search intersects two half-open ranges of its equality index: about 0.2 s per search at 10,000 conferences, growing with the data).`);
  }
  if (complete) {
    const differences = await compareAnswers(servers(), set, options.seed, options.workloads, options.slapdSkip);
    for (const d of differences) log(`check: ${d}`);
    report.notes.push(
      differences.length === 0
        ? 'Same answers: the first 100 requests of each search workload measured (10 of the NetMeeting listing) found the same number of entries on every server.'
        : `The servers answer differently: ${differences.join('; ')}.`,
    );
  }

  // A server loaded over LDAP may go on working after its load (seen at 10,000: the first
  // cell lost 16-42% of the machine to other processes): wait until the machine is quiet.
  const quiet = await waitForQuiet(servers());
  log(`quiet: ${quiet.note}`);
  if (quiet.seconds >= 1) report.notes.push(`Before the first cell the machine was busy after the load for ${quiet.seconds.toFixed(0)} s; the cells waited until it was quiet. ${quiet.note}`);

  const cell = async (client: Cell['client'], workload: WorkloadName, connections: number, server: Server, run: () => Promise<Cell['result']>, variant?: string): Promise<void> => {
    const entry: Cell = { client, workload, connections, target: server.target, result: undefined, ...(variant ? { variant } : {}) };
    try {
      rewarmSeconds += (await warmPageCache(cachePaths)).seconds;
      entry.result = await run();
      const m = entry.result!;
      const latency = Number.isFinite(m.p50Ms) ? ` p50 ${m.p50Ms.toFixed(2)} ms p99 ${m.p99Ms.toFixed(2)} ms` : '';
      log(`${client} ${workload} ×${connections} ${server.target}${variant ? ` (${variant})` : ''}: ${Math.round(m.opsPerSecond)} ops/s${latency} CPU ${Math.round(m.serverCpuPercent)}% (${Math.round(cpuMicrosPerOp(m))} µs/op) other ${Math.round(m.otherCpuPercent)}%${Object.keys(m.errors).length ? ` errors ${JSON.stringify(m.errors)}` : ''}`);
    } catch (error) {
      entry.note = (error as Error).message.split('\n')[0];
      log(`${client} ${workload} ×${connections} ${server.target}${variant ? ` (${variant})` : ''}: FAILED ${entry.note}`);
    }
    report.cells.push(entry);
  };

  // The Node harness: every workload; the servers take turns for each cell.
  if (complete && options.harness) {
    for (const workload of options.workloads) {
      for (const connections of options.connections) {
        for (const server of servers().filter((s) => s.target !== 'slapd' || !options.slapdSkip.includes(workload))) {
          await cell('harness', workload, connections, server, () =>
            measure({ port: server.port, serverPid: server.pid, target: server.target, workload, connections, processes: options.processes, set, seed: options.seed, bind: server.bind, warmupMs: options.warmupMs, durationMs: options.durationMs }),
          );
        }
      }
    }
  }

  // ldclt: the searches its templates can express (XXX… is a zero-padded random number).
  // Paged results (ilsEnumeration) are beyond it.
  const anyUid = { filter: `uid=${conferenceUid(0).replace(/\d/g, 'X')}`, high: set.conferences - 1, accepts: [] };
  const ldcltSearches: Partial<Record<WorkloadName, Pick<LdcltCell, 'filter' | 'high' | 'accepts' | 'base' | 'scope' | 'attributes'>>> = {
    equality: { ...anyUid, base: CONTAINER, scope: 'one', attributes: [] },
    equalityBlob: { ...anyUid, base: CONTAINER, scope: 'one', attributes: BLOB_ATTRIBUTES },
    equalityTimes: { ...anyUid, base: CONTAINER, scope: 'one', attributes: TIMES_ATTRIBUTES },
    subtree: { ...anyUid, base: SUFFIX, scope: 'subtree', attributes: [] },
    netmeeting: { filter: filterText(NETMEETING_FILTER), high: undefined, accepts: WORKLOADS.netmeeting.accepts ?? [], base: CONTAINER, scope: 'one', attributes: NETMEETING_ATTRIBUTES },
    substring: { filter: `uid=${uidPrefix(0).replace(/\d/g, 'X')}*`, high: Math.floor(set.conferences / 10) - 1, accepts: [], base: CONTAINER, scope: 'one', attributes: [] },
  };
  const ldcltWorkloads = options.workloads.filter((w) => ldcltSearches[w]);
  if (complete && options.ldclt && ldcltWorkloads.length > 0) {
    const found = findLdclt(log);
    if ('error' in found) {
      report.ldclt = `unavailable: ${found.error}`;
      report.notes.push(`ldclt could not be used (${found.error}); the Node harness figures stand alone.`);
    } else {
      report.ldclt = `${found.version} (Debian 389-ds-base, unpacked)`;
      for (const workload of ldcltWorkloads) {
        for (const connections of options.connections) {
          for (const server of servers()) {
            const search = ldcltSearches[workload]!;
            const ldcltCell = { ldclt: found.path, port: server.port, serverPid: server.pid, ...search, connections, samples: Math.max(1, Math.round(options.durationMs / 10_000)) };
            await cell('ldclt', workload, connections, server, async () => {
              // ldclt occasionally dies at start without a word (seen once in ~40 cells): one retry.
              const m = await measureLdclt(ldcltCell).catch((error: Error) => {
                log(`ldclt ${workload} ×${connections} ${server.target}: ${error.message}; retrying once`);
                return measureLdclt(ldcltCell);
              });
              return { ...m, p50Ms: Number.NaN, p99Ms: Number.NaN };
            });
          }
        }
      }
    }
  }

  // Busy polling's price: the equality cells at one connection again, Rendezvous without it.
  if (complete && options.busyPollCompare && options.workloads.includes('equality')) {
    await rendezvous.stop();
    rendezvous = await startRendezvous(bin, dbPath, [], 0, [...serveFlags, ...NO_BUSY_POLL]);
    const server = servers()[0]!;
    const variant = NO_BUSY_POLL.join(' ');
    if (options.harness) {
      await cell('harness', 'equality', 1, server, () => measure({ port: server.port, serverPid: server.pid, target: server.target, workload: 'equality', connections: 1, processes: 1, set, seed: options.seed, bind: undefined, warmupMs: options.warmupMs, durationMs: options.durationMs }), variant);
    }
    const found = options.ldclt ? findLdclt(log) : undefined;
    if (found && !('error' in found)) {
      const search = ldcltSearches.equality!;
      const ldcltCell = { ldclt: found.path, port: server.port, serverPid: server.pid, ...search, connections: 1, samples: Math.max(1, Math.round(options.durationMs / 10_000)) };
      await cell('ldclt', 'equality', 1, server, async () => ({ ...(await measureLdclt(ldcltCell)), p50Ms: Number.NaN, p99Ms: Number.NaN }), variant);
    }
    await rendezvous.stop();
    rendezvous = await startRendezvous(bin, dbPath, [], 0, serveFlags);
  }

  // Rendezvous under node --cpu-prof, one cell per profiled workload: where its CPU goes.
  const profileConnections = options.connections.includes(8) ? 8 : options.connections[0]!;
  for (const workload of complete ? options.profile : []) {
    const profileDir = join(dir, `profile-${workload}`);
    await rendezvous.stop();
    rendezvous = await startRendezvous(bin, dbPath, ['--cpu-prof', '--cpu-prof-dir', profileDir], 0, serveFlags);
    const m = await measure({ port: rendezvous.port, serverPid: rendezvous.pid, target: 'rendezvous', workload, connections: profileConnections, processes: options.processes, set, seed: options.seed, bind: admin, warmupMs: options.warmupMs, durationMs: options.durationMs });
    await rendezvous.stop();
    const files = (await readdir(profileDir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) {
      report.notes.push(`node --cpu-prof wrote no profile for ${workload} (did the server exit cleanly?)`);
      continue;
    }
    // With worker processes each one writes a profile: the busiest is a worker serving the load
    // (the primary's shows startup and expiry).
    const summaries = await Promise.all(files.map((f) => summarizeProfile(join(profileDir, f), `${serverDir}/`)));
    const summary = summaries.reduce((a, b) => (b.busyMs > a.busyMs ? b : a));
    if (files.length > 1) report.notes.push(`Profile of ${workload}: the busiest of ${files.length} server processes (busy ${summaries.map((x) => Math.round(x.busyMs)).join(', ')} ms).`);
    report.profiles.push({ ...summary, workload, connections: profileConnections, opsPerSecond: m.opsPerSecond });
    log(`profile ${workload}: ${summary.top.slice(0, 3).map((f) => `${f.name} ${f.percent.toFixed(1)}%`).join('; ')}`);
  }

  // The live-update workloads, on the server as it is now (started again after the profiles,
  // which stop the one they profile).
  let live: LiveReport | undefined;
  if (complete && options.live.length > 0) {
    if (options.profile.length > 0) rendezvous = await startRendezvous(bin, dbPath, [], 0, serveFlags);
    live = await runLive({
      set,
      parts: options.live,
      watcherCounts: options.liveWatchers,
      rate: options.liveRate,
      replicationRate: options.replicationRate,
      replicationSeconds: options.replicationSeconds,
      replicaModes: options.replicaModes,
      providers: options.liveProviders,
      ...(syncSlapd ? { slapd: { port: syncSlapd.server.port, pid: syncSlapd.pid, bind: { dn: syncSlapd.server.rootDn, password: syncSlapd.server.rootPw }, config: syncSlapd.config } } : {}),
      warmupMs: options.warmupMs,
      latencyWarmupMs: options.liveWarmupMs,
      latencyRepeat: options.liveRepeat,
      durationMs: options.durationMs,
      processes: options.processes,
      profile: options.liveProfile,
      seed: options.seed,
      admin,
      server: () => rendezvous,
      restart: async (nodeFlags) => {
        await rendezvous.stop();
        rendezvous = await startRendezvous(bin, dbPath, nodeFlags, 0, serveFlags);
        return rendezvous;
      },
      dir,
      serverDir,
      log,
    });
  }

  report.notes.unshift(
    `Before the cells, every database file (Rendezvous's SQLite file${slapd ? ", slapd's data directory" : ''}) was read into the OS page cache (${(warmed.bytes / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 0 })} MiB in ${warmed.seconds.toFixed(1)} s), and read through again before each cell (${rewarmSeconds.toFixed(1)} s in all): the cells measure servers with their data cached, not what the load or the kernel's page-out left in the cache.`,
  );
  report.loadAfter = loadavg();
  report.hostSpeed.push(probeHostSpeed(dir));
  await cleanUp();
  // A run that measured no workload cell (--live-only) leaves the workload section as it was.
  const sections: Array<[key: string, text: string]> = [];
  if (report.cells.length > 0 || report.profiles.length > 0) sections.push([String(set.conferences), renderReport(report)]);
  if (live) sections.push([`live-${set.conferences}`, renderLiveReport(live, report, serveFlags)]);
  for (const [key, section] of sections) {
    process.stdout.write(`${section}\n`);
    if (options.results) {
      await updateResults(options.results, key, section);
      log(`bench: results written to ${options.results}`);
    }
  }
}

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2), join(REPO, 'bench', 'RESULTS.md'));
} catch (error) {
  log(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(USAGE);
} else {
  try {
    await main(options);
  } catch (error) {
    log(`bench: ${(error as Error).stack ?? String(error)}`);
    await cleanUp();
    process.exitCode = 1;
  }
}

/**
 * Waits (up to two minutes) until the machine's CPU is less than 10% busy over a second; says
 * how long that took and how much of the busy time was each server's.
 */
async function waitForQuiet(servers: readonly Server[]): Promise<{ seconds: number; note: string }> {
  const started = performance.now();
  const startCpu = servers.map((s) => cpuSeconds(s.pid));
  const startMachine = machineCpuSeconds();
  for (let last = machineCpuSeconds(); ; ) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = machineCpuSeconds();
    const busy = (now.busy - last.busy) / Math.max(1e-9, now.total - last.total);
    last = now;
    const seconds = (performance.now() - started) / 1000;
    if (busy < 0.1 || seconds > 120) {
      const machineBusy = now.busy - startMachine.busy;
      const shares = servers.map((s, i) => `${s.target} ${(cpuSeconds(s.pid) - startCpu[i]!).toFixed(1)} s`).join(', ');
      return { seconds: Math.max(0, seconds - 1), note: `${busy < 0.1 ? 'quiet' : 'still busy after two minutes'} (${Math.round(busy * 100)}% busy over the last second); CPU used while waiting: ${machineBusy.toFixed(1)} s in all, ${shares}.` };
    }
  }
}
