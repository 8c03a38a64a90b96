/**
 * The writing process's CPU per write, measured without a server, sockets or other processes:
 * the live benchmark's writes (bench/live.ts: the add of a new conference, prepared as a worker
 * prepares it, alternating with a replace of `contactInformation` in a conference added 1,000
 * writes earlier) applied through the primary's `LocalWriter`, paced at a fixed rate, on a
 * database loaded with the data set's conferences. Prints the CPU (user + system) the process
 * spent per write while writing; run it under `node --cpu-prof` to see where that goes.
 *
 * Run it as
 *
 *     npx tsc -p bench/tsconfig.json && node bench/out/bench/write-cost.js [--size 10000] [--rate 500] [--seconds 10] [--rounds 3] [--profile FILE]
 *
 * `--rate 0` applies `--count` writes one after the other instead, each committed before the
 * next is sent: no timer wakes the process, so the figure varies less from run to run (the
 * pacing timer alone costs about 50 µs of CPU a millisecond on a virtual machine).
 * `--profile FILE` writes a V8 CPU profile of each measured round (FILE.1, FILE.2, ...; the
 * load, warm-up and deletes left out) and prints the functions with the most self time.
 *
 * What the primary of a server does besides is left out (the IPC of the write and its reply,
 * the workers' live searches); the change feed's read of the log after each commit is in.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Identity, PreparedWrite, RawAttribute } from '../src/directory/index.js';
import { LocalWriter } from '../src/directory/index.js';
import { openDirectory } from '../src/server/index.js';
import { conference, type DataSet } from './data.js';
import { summarizeProfile } from './profile.js';
import { REPO } from './servers.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    count: { type: 'string', default: '5000' },
    profile: { type: 'string' },
  },
});
const size = Number(args.size);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const count = Number(args.count);

const admin: Identity = { dn: 'cn=bench,ou=accounts,o=Intranet', ndn: 'cn=bench,ou=accounts,o=intranet', admin: true, address: '127.0.0.1' };
const set: DataSet = { conferences: size, people: 0, seed: 1, baseTime: Date.now() };
/** Writes between an add and the modify of what it added, as the live benchmark spaces them. */
const DISTANCE = 1000;
/** Writes outstanding at most, as the live benchmark's 64 writer connections allow. */
const OUTSTANDING = 64;

const raw = (attributes: ReadonlyArray<[string, string[]]>): RawAttribute[] => attributes.map(([type, values]) => ({ type, values: values.map((v) => Buffer.from(v)) }));

// The directory reads its schema beside the compiled sources (bench/out/schema here).
const schemaLink = join(REPO, 'bench', 'out', 'schema');
if (!existsSync(schemaLink)) symlinkSync(join(REPO, 'schema'), schemaLink, 'dir');

const dir = mkdtempSync(join(tmpdir(), 'write-cost-'));
const { db, directory } = openDirectory({ db: join(dir, 'r.db'), suffix: 'o=Intranet', ilsOpen: false, version: 'bench', conferenceGrace: 31_557_600, ttl: { defaultTtl: 86_400, minTtl: 60, maxTtl: 86_400 } });
const writer = new LocalWriter(directory);
// The primary tells its workers of each commit; here the listener only counts.
let commits = 0;
directory.changes.onCommit(() => (commits += 1));

/** Adds the data set's conferences, 256 to a transaction. */
async function load(): Promise<void> {
  for (let i = 0; i < size; i += 256) {
    const adds: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(size, i + 256); j += 1) {
      const entry = conference(set, j);
      adds.push(writer.write({ op: 'add', identity: admin, dn: entry.dn, attributes: raw(entry.attributes) }));
    }
    await Promise.all(adds);
  }
}

/** A round's writes, prepared beforehand (a worker prepares an add before the primary sees it). */
function plan(round: number, count: number): { writes: PreparedWrite[]; dns: string[] } {
  const writes: PreparedWrite[] = [];
  const dns: string[] = [];
  let modified = 0;
  for (let seq = 0; seq < count; seq += 1) {
    const marker: [string, string[]] = ['contactInformation', [`live ${seq}`]];
    if (seq % 2 === 1 && modified < dns.length - DISTANCE / 2) {
      writes.push({ op: 'modify', identity: admin, dn: dns[modified++]!, changes: [{ operation: 'replace', modification: raw([marker])[0]! }] });
      continue;
    }
    const entry = conference(set, size + 200_000 + round * 100_000 + dns.length, `live${round}-${dns.length}`);
    dns.push(entry.dn);
    writes.push({ op: 'prepared', add: directory.prepareAdd(admin, entry.dn, raw([...entry.attributes, marker])) });
  }
  return { writes, dns };
}

/** Applies `writes` one after the other, each in a commit of its own (`--rate 0`). */
async function oneByOne(writes: readonly PreparedWrite[]): Promise<{ cpuUs: number; userUs: number; wallMs: number; failed: number }> {
  let failed = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (const write of writes) await writer.write(write).catch(() => (failed += 1));
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / writes.length, userUs: used.user / writes.length, wallMs: performance.now() - start, failed };
}

/** Applies `writes` at `rate` a second; resolves with the CPU µs per write and the wall time. */
function paced(writes: readonly PreparedWrite[]): Promise<{ cpuUs: number; userUs: number; wallMs: number; failed: number }> {
  if (rate === 0) return oneByOne(writes);
  return new Promise((resolve) => {
    let sent = 0;
    let done = 0;
    let failed = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    const finish = (): void => {
      const used = process.cpuUsage(cpu);
      resolve({ cpuUs: (used.user + used.system) / writes.length, userUs: used.user / writes.length, wallMs: performance.now() - start, failed });
    };
    const tick = (): void => {
      const due = Math.min(writes.length, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      while (sent < due && sent - done < OUTSTANDING) {
        writer.write(writes[sent++]!).then(
          () => {
            if (++done === writes.length) finish();
          },
          () => {
            failed += 1;
            if (++done === writes.length) finish();
          },
        );
      }
      if (sent < writes.length) setTimeout(tick, 1);
    };
    tick();
  });
}

// Every round's writes are prepared before anything is measured.
const plans = Array.from({ length: rounds + 1 }, (_, round) => plan(round, rate === 0 ? count : Math.round(rate * seconds)));
const loadStart = performance.now();
await load();
console.log(`loaded ${size} conferences in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
const session = args.profile === undefined ? undefined : new Session();
session?.connect();
await session?.post('Profiler.enable');
const results: number[] = [];
for (const [round, planned] of plans.entries()) {
  // Round 0 warms up (JIT, caches): reported, not counted.
  if (round > 0) {
    await session?.post('Profiler.start');
    // CLOCK_MONOTONIC, as `perf record -k CLOCK_MONOTONIC` stamps its samples.
    console.log(`round ${round} from ${(Number(process.hrtime.bigint()) / 1e9).toFixed(6)}`);
  }
  const r = await paced(planned.writes);
  if (round > 0) {
    console.log(`round ${round} until ${(Number(process.hrtime.bigint()) / 1e9).toFixed(6)}`);
    results.push(r.cpuUs);
    if (session) writeFileSync(`${args.profile!}.${round}`, JSON.stringify((await session.post('Profiler.stop')).profile));
  }
  console.log(`${round === 0 ? 'warm-up' : `round ${round}`}: ${planned.writes.length} writes in ${(r.wallMs / 1000).toFixed(1)} s, ${r.cpuUs.toFixed(0)} µs CPU per write (user ${r.userUs.toFixed(0)}), ${r.failed} failed, ${commits} commits so far`);
  // A heap full of prepared writes made the collector slower with every round; and what a
  // round added is deleted, outside the measure, as the live benchmark deletes what each cell
  // added: every round writes to the same directory.
  planned.writes = [];
  await Promise.all(planned.dns.map((dn) => writer.write({ op: 'delete', identity: admin, dn })));
}
console.log(`CPU per write, the median round: ${results.sort((a, b) => a - b)[Math.floor(results.length / 2)]!.toFixed(0)} µs`);
if (args.profile !== undefined) {
  for (let round = 1; round <= rounds; round += 1) {
    const summary = await summarizeProfile(`${args.profile}.${round}`, process.cwd(), 15);
    console.log(`profile of round ${round} (${args.profile}.${round}): ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle`);
    for (const f of summary.top) console.log(`${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}`);
  }
}
directory.close();
db.close();
rmSync(dir, { recursive: true, force: true });
