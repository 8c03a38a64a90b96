/**
 * The two servers under test, on 127.0.0.1 only.
 *
 * Rendezvous runs from a private build of the working tree made at the start of the run
 * ({@link buildServer}): other people rebuild dist/ while a benchmark runs (npm test does),
 * and a restart must not pick up different code from the one the run started with. Its
 * database outlives restarts (the startup time on the loaded database is one of the
 * figures), and it can run under `node --cpu-prof`.
 *
 * slapd comes from test/helpers/slapd.ts (back_mdb, our schema, dds), configured with
 * indexes equivalent to ours; for large data sets it can be bulk-loaded with slapadd, which
 * needs slapd stopped, so it is then restarted here on the same configuration and port.
 *
 * The live-update workloads also start a stock slapd read replica of Rendezvous
 * ({@link startBenchConsumer}), and with `--live-provider slapd` a slapd with syncprov as
 * the reference provider of the latency cells.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSlapdConsumer, syncreplDirective, type ConsumerOptions } from '../test/helpers/replica.js';
import { SLAPD, run, startSlapd, type Slapd, type SlapdOverlay } from '../test/helpers/slapd.js';
import { REFRESH_TTL } from './workloads.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const SCHEMA = join(REPO, 'schema', 'rendezvous.schema');

/**
 * Compiles src/ into `dir` with the project's build configuration and copies what the
 * compiled code reads relative to itself (bin/, schema/, package.json); node_modules is
 * linked. Returns the executable (`dir/bin/rendezvous`).
 */
export async function buildServer(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = await run(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], undefined, 600_000);
  if (build.code !== 0) throw new Error(`building the server failed:\n${build.stdout}${build.stderr}`);
  for (const name of ['bin', 'schema', 'package.json']) await cp(join(REPO, name), join(dir, name), { recursive: true });
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return join(dir, 'bin', 'rendezvous');
}

const HOST = '127.0.0.1';
const LISTENING = /listening on ldap:\/\/127\.0\.0\.1:(\d+)/;

/** The administrator account the benchmark binds as on Rendezvous. */
export const ADMIN = { name: 'bench', password: 'bench-password' };

/**
 * Flags for the benchmark's data: past conferences kept (grace up to a year, the most the
 * flag allows), dynamic entries that do not lapse during a run, no MADCAP port to collide with,
 * no web page (slapd has none: its start time and memory are not the directory's).
 */
export const SERVE_FLAGS = ['--conference-grace', '31557600', '--ttl-default', String(REFRESH_TTL), '--ttl-max', String(REFRESH_TTL), '--madcap-port', 'off', '--http', 'off'];

export interface RendezvousProcess {
  readonly port: number;
  readonly pid: number;
  /** Milliseconds from spawn to the `listening on` line. */
  readonly startupMs: number;
  /** SIGTERM and wait (a clean stop, so that a --cpu-prof profile gets written). */
  stop(): Promise<void>;
  logs(): string;
  /**
   * Resolves at the server's first report, made at or after `since` (performance.now()), that
   * its time-clustered copy of the conferences is up to date (it fills the copy while writes
   * pause, so after a load), so that no cell is measured while the writing process copies.
   */
  copyReportSince(since: number): Promise<void>;
}

/** The server's line once its time-clustered copy is up to date (src/server/core.ts). */
const COPY_DONE = /time-clustered copy of the conferences up to date/;

/** Creates the administrator account in a new database (`rendezvous account add --admin`). */
export async function createAdmin(bin: string, dir: string, dbPath: string): Promise<{ dn: string; password: string }> {
  const passwordFile = join(dir, 'admin.pw');
  await writeFile(passwordFile, `${ADMIN.password}\n`, { mode: 0o600 });
  const result = await run(process.execPath, [bin, 'account', 'add', ADMIN.name, '--admin', '--db', dbPath, '--password-file', passwordFile]);
  if (result.code !== 0) throw new Error(`rendezvous account add failed (${result.code}): ${result.stderr}`);
  return { dn: `cn=${ADMIN.name},ou=accounts,o=Intranet`, password: ADMIN.password };
}

/**
 * The node flags on the executable's `#!/usr/bin/env -S node ...` line: what a person who runs
 * `bin/rendezvous` gets, given here to the benchmark's own node so that extra flags can follow.
 */
function launchFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(first);
  return match ? match[1]!.trim().split(/\s+/) : [];
}

/** The arguments of `node` after its flags that run `rendezvous serve`: the executable and the serve command line. */
export function serveArguments(bin: string, dbPath: string, port: number, serveFlags: readonly string[]): string[] {
  return [bin, 'serve', '--host', HOST, '--port', String(port), '--db', dbPath, ...SERVE_FLAGS, ...serveFlags];
}

/** How the report prints the server's command line: node with the executable's own flags, then `bin/rendezvous serve ...`. */
export function serveCommandLine(bin: string, dbPath: string, serveFlags: readonly string[]): string {
  return ['node', ...launchFlags(bin), ...serveArguments('bin/rendezvous', dbPath, 0, serveFlags)].join(' ');
}

/** Starts `rendezvous serve` (`bin`) on the database; `nodeFlags` go before the script (e.g. --cpu-prof). */
export function startRendezvous(bin: string, dbPath: string, nodeFlags: readonly string[] = [], port = 0, serveFlags: readonly string[] = []): Promise<RendezvousProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, [...launchFlags(bin), ...nodeFlags, ...serveArguments(bin, dbPath, port, serveFlags)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  let partialLine = '';
  const copyWaiters: Array<() => void> = [];
  let lastCopyReport = -Infinity;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Safety net: never leave a server behind if the benchmark itself dies.
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`rendezvous serve did not listen within 120 s:\n${log}`)), 120_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const failOnExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(new Error(`rendezvous serve exited (${code ?? signal}) before listening:\n${log}`));
    child.once('exit', failOnExit);
    let listening = false;
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      // Keep draining stderr for the whole run (a full pipe would stall the server); keep the tail.
      log = (log + text).slice(-64 * 1024);
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop()!;
      if (lines.some((line) => COPY_DONE.test(line))) {
        lastCopyReport = performance.now();
        for (const wake of copyWaiters.splice(0)) wake();
      }
      const match = listening ? null : LISTENING.exec(log);
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      child.off('exit', failOnExit);
      resolve({
        port: Number(match[1]),
        pid: child.pid!,
        startupMs: performance.now() - started,
        logs: () => log,
        copyReportSince: (since) => (lastCopyReport >= since ? Promise.resolve() : new Promise<void>((wake) => copyWaiters.push(wake))),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timeout);
        },
      });
    });
  });
}

/**
 * slapd's `threads` for this machine, as the OpenLDAP maintainers' tuning note says ("How Many
 * Threads Does OpenLDAP's Server Process Need?", Symas knowledge base, kb.symas.com/en_US/
 * performance/threads, 2024): on single- or dual-processor hosts with up to two cores per
 * processor the default of 16 is often the best; with more cores, four times the cores
 * dedicated to LDAP. slapd.conf(5): default 16, minimum 2.
 */
export function benchSlapdThreads(cores = availableParallelism()): number {
  return cores <= 4 ? 16 : 4 * cores;
}

/** Where the benchmark's slapd threads figure comes from, for the report. */
export const SLAPD_THREADS_SOURCE = "the OpenLDAP maintainers' tuning note (Symas knowledge base, \"How Many Threads Does OpenLDAP's Server Process Need?\", kb.symas.com/en_US/performance/threads): 16, slapd's default, on hosts of up to two processors of up to two cores; four times the cores above that";

/**
 * The syncprov overlay as the OpenLDAP Administrator's Guide sets up a provider ("Set up the
 * provider slapd", replication chapter: `syncprov-checkpoint 100 10`, `syncprov-sessionlog
 * 100`, with `entryCSN` and `entryUUID` indexed eq, as slapo-syncprov(5) recommends).
 */
const SYNCPROV: SlapdOverlay = { name: 'syncprov', config: ['syncprov-checkpoint 100 10', 'syncprov-sessionlog 100'] };

/**
 * slapd with our schema, dds, and indexes for what the workloads search. `loglevel` is 0 by
 * default: slapd.conf(5) says the loglevel defaults to stats, several syslog lines per
 * operation, which Rendezvous does not spend (it logs nothing per operation); `threads` as
 * {@link benchSlapdThreads} says. `syncprov`: also an RFC 4533 provider ({@link SYNCPROV},
 * below dds as test/helpers/replica.ts's provider has it), for the live latency cells. mdb
 * syncs every transaction (no `dbnosync`), as out of the box.
 */
export function startBenchSlapd(options: { logLevel?: string; syncprov?: boolean } = {}): Promise<Slapd> {
  return startSlapd({
    schemaFiles: [SCHEMA],
    overlays: [...(options.syncprov ? [SYNCPROV] : []), { name: 'dds', config: [`dds-default-ttl ${REFRESH_TTL}`, `dds-max-ttl ${REFRESH_TTL}`, 'dds-min-ttl 60'] }],
    // Equality indexes (ordered for generalizedTime, so they serve <= and >= too), substring
    // on the names, dds's own expiry attribute, and the application NetMeeting lists people by.
    indexes: ['objectClass eq', 'uid eq,sub', 'cn eq,sub', 'startTime eq', 'stopTime eq', 'entryExpireTimestamp eq', 'applicationID eq', ...(options.syncprov ? ['entryCSN eq', 'entryUUID eq'] : [])],
    globalConfig: [
      `loglevel ${options.logLevel ?? '0'}`,
      `threads ${benchSlapdThreads()}`,
      // Rendezvous answers at most 1000 entries per search, or per page of a paged search, by
      // default; slapd's default is 500, and its paged searches stop at the hard limit in
      // all unless size.prtotal lifts it.
      'sizelimit size=1000 size.prtotal=unlimited',
    ],
    maxSize: 16 * 1024 ** 3,
  });
}

/** A slapd.conf as the report prints it: the root password elided. */
export function printableSlapdConfig(text: string): string {
  return text.replace(/^(rootpw\s+).*$/gm, '$1(elided)');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A slapd process run by us after a bulk load, on the helper's configuration and port. */
export interface RestartedSlapd {
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Stops the helper's slapd, loads `ldifPath` with `slapadd -q`, and starts slapd again on
 * the same port. Returns slapadd's duration and the new process. The helper's stop() still
 * removes the directory afterwards.
 */
export async function slapaddAndRestart(slapd: Slapd, ldifPath: string): Promise<{ seconds: number; process: RestartedSlapd }> {
  process.kill(slapd.pid, 'SIGTERM');
  for (let i = 0; i < 300 && isRunning(slapd.pid); i += 1) await new Promise((r) => setTimeout(r, 100));
  const slapadd = join(SLAPD.slice(0, SLAPD.lastIndexOf('/')), 'slapadd');
  const started = performance.now();
  const result = await run(slapadd, ['-q', '-f', slapd.configFile, '-l', ldifPath], undefined, 6 * 3_600_000);
  const seconds = (performance.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`slapadd failed (${result.code}): ${result.stderr.slice(-4000)}`);
  const child: ChildProcess = spawn(SLAPD, ['-d', 'none', '-f', slapd.configFile, '-h', `${slapd.url}/`], { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; !(await canConnect(slapd.port)); i += 1) {
    if (i > 600 || child.exitCode !== null) throw new Error(`slapd did not come back on ${slapd.url} after slapadd`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    seconds,
    process: {
      pid: child.pid!,
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    },
  };
}

/** What the benchmark's read replica is configured with, besides test/helpers/replica.ts's defaults. */
function consumerOptions(providerPort: number, bind: { dn: string; password: string }, dbnosync: boolean): ConsumerOptions {
  return {
    provider: `ldap://${HOST}:${providerPort}`,
    bind,
    // No sync log: at 1,000 changes/s it would cost the replica more than applying them.
    logLevel: 'none',
    slapd: {
      schemaFiles: [SCHEMA],
      indexes: ['uid eq,sub', 'cn eq,sub', 'startTime eq', 'stopTime eq'],
      globalConfig: ['sizelimit 1000'],
      maxSize: 16 * 1024 ** 3,
      ...(dbnosync ? { databaseConfig: ['dbnosync'] } : {}),
    },
  };
}

/** The replica's `syncrepl` directive, for the report. */
export function consumerSyncrepl(providerPort: number, bind: { dn: string; password: string }): string {
  return syncreplDirective(consumerOptions(providerPort, bind, false));
}

/**
 * A stock slapd (back_mdb, our schema) replicating the whole tree of Rendezvous by RFC 4533
 * refreshAndPersist as the administrator (who reads without size limits), configured as the
 * replication tests configure theirs (test/helpers/replica.ts: `moduleload dds` without the
 * overlay, `exattrs` for the dds attributes, schema checking off, entryUUID and entryCSN
 * indexed), with the benchmark slapd's indexes besides. mdb syncs every transaction unless
 * `dbnosync` (slapd-mdb(5)): a replica can be rebuilt from its provider, so it may trade
 * durability for speed.
 */
export function startBenchConsumer(providerPort: number, bind: { dn: string; password: string }, dbnosync = false): Promise<Slapd> {
  return startSlapdConsumer(consumerOptions(providerPort, bind, dbnosync));
}
