/**
 * Command-line flags of the benchmark (`npm run bench -- --help`).
 */
import { parseArgs } from 'node:util';
import { WORKLOAD_NAMES, type Target, type WorkloadName } from './workloads.js';

export interface BenchOptions {
  size: number;
  people: number;
  seed: number;
  /** Conference times are spread around this instant (ms). */
  baseTime: number;
  durationMs: number;
  warmupMs: number;
  connections: number[];
  workloads: WorkloadName[];
  /** Load processes of the Node harness, at most. */
  processes: number;
  loadConnections: number;
  /** Give up loading when the projected load time exceeds this (0: never). */
  maxLoadMinutes: number;
  slapd: boolean;
  slapdLoad: 'ldap' | 'slapadd';
  harness: boolean;
  ldclt: boolean;
  /** Workloads to run once more with Rendezvous under node --cpu-prof. */
  profile: WorkloadName[];
  /** Workloads measured on Rendezvous only (too slow on slapd at this size to wait for). */
  slapdSkip: WorkloadName[];
  /** slapd.conf `loglevel` of the compared slapd (0: none, what performance guides use). */
  slapdLoglevel: string;
  /** Run the equality cells at 1 connection once more with Rendezvous on `serve --busy-poll 0`. */
  busyPollCompare: boolean;
  /** `rendezvous serve --workers`; undefined: the server's default (one per core). */
  workers: number | undefined;
  /** The live-update workloads to run after the others (live.ts); empty: none. */
  live: LivePart[];
  /** Watcher counts of the notification-latency cells. */
  liveWatchers: number[];
  /** Writes per second of the notification-latency cells. */
  liveRate: number;
  /** Writes of each latency cell before its measured window (ms). */
  liveWarmupMs: number;
  /** Runs of the largest latency cell (the one the target is about), each reported. */
  liveRepeat: number;
  /** The providers the notification-latency cells measure, in turn: Rendezvous, and slapd with syncprov as the reference. */
  liveProviders: Target[];
  /** Writes per second, and seconds of them, while the slapd replica follows. */
  replicationRate: number;
  replicationSeconds: number;
  /** The replica configurations measured, in order: durable (an fsync per transaction, slapd's default) and dbnosync (slapd-mdb's `dbnosync`). */
  replicaModes: ReplicaMode[];
  /** Profile Rendezvous (node --cpu-prof) during the largest latency cell when it misses its target. */
  liveProfile: boolean;
  /** Where to write the results section; undefined: print only. */
  results: string | undefined;
  keep: boolean;
}

/** The live-update workloads: notification latency, a slapd replica's lag, memory and search throughput with idle watchers. */
export const LIVE_PARTS = ['latency', 'replication', 'memory'] as const;
export type LivePart = (typeof LIVE_PARTS)[number];

/** The RFC 4533 providers the latency cells can measure (slapd: back_mdb with the syncprov overlay). */
export const LIVE_PROVIDERS = ['rendezvous', 'slapd'] as const satisfies readonly Target[];

export const USAGE = `npm run bench -- [options]

  --size N              conferences (default 10000). 1000000 is the large run and must be asked
                        for: generating takes minutes, and bench/RESULTS.md gives the measured
                        and extrapolated time to load it into Rendezvous over LDAP
  --people N            people (default size / 10)
  --seed N              data and request seed (default 1)
  --base-time ISO       the "now" conference times are spread around (default: this hour)
  --duration S          measured seconds per cell (default 10)
  --warmup S            warm-up seconds per cell (default 3; ldclt always warms up one 10 s sample)
  --connections LIST    connection counts to sweep (default 1,8,64)
  --workloads LIST      ${WORKLOAD_NAMES.join(',')} (default all)
  --processes N         load processes of the Node harness, at most (default 2)
  --load-connections N  connections per server for loading the data (default 8)
  --max-load-minutes N  after 2 minutes of loading, stop when the whole load is projected to
                        take longer (default 180; 0: no limit); the results then show the
                        add-rate curve and Rendezvous's startup on what was loaded
  --slapd-load MODE     ldap (same loader as Rendezvous, measures add throughput) or slapadd
                        (fast bulk load); default ldap up to 100000 conferences, slapadd above
  --slapd-skip LIST     workloads measured on Rendezvous only, e.g. timeWindow at 1000000
                        (slapd takes seconds per window search there); default none
  --slapd-loglevel L    slapd.conf loglevel of the compared slapd (default 0: no logging, as
                        Rendezvous logs nothing per operation; slapd's own default is stats,
                        several syslog lines per operation: give stats to compare with logging)
  --busy-poll-compare   run the equality cells at 1 connection (harness and ldclt) once more
                        with Rendezvous on serve --busy-poll 0: throughput and server CPU per
                        operation with busy polling and without
  --workers N           Rendezvous worker processes (serve --workers; default: one per core)
  --no-slapd            Rendezvous only
  --no-harness          ldclt cells only
  --no-ldclt            Node harness only
  --profile LIST        workloads to profile Rendezvous under (node --cpu-prof, 8 connections);
                        default equality,addDelete; --no-profile: none, nor the profile of
                        the largest live latency cell when it misses its target
  --live LIST           live-update workloads after the others (default ${LIVE_PARTS.join(',')}):
                        latency (write acknowledged -> change at the watchers, RFC 4533
                        refreshAndPersist), replication (lag of a stock slapd syncrepl replica),
                        memory (RSS per idle watcher, equality search throughput with 1,000 idle
                        watchers open and without); --no-live: none
  --live-only           the live-update workloads alone: no slapd comparison, no harness, ldclt
                        or workload profile cells (the data is still loaded and Rendezvous timed)
  --live-watchers LIST  watcher counts of the latency cells (default 1,100,1000)
  --live-rate N         writes/s of the latency cells (default 500)
  --live-warmup S       seconds of writes before a latency cell's measured window (default 30:
                        processes just started run cold for their first 20-30 s of this load
                        and the first seconds' queue drains; the warm-up's own p99 is
                        reported beside)
  --live-repeat N       runs of the largest latency cell, each a row, the target met only if
                        met in every run (default 3: one run's p99 is decided by a few
                        seconds of a 2-core machine's scheduling)
  --live-provider LIST  the providers the latency cells measure, in turn (default rendezvous):
                        rendezvous, slapd (OpenLDAP back_mdb, durable as out of the box, with
                        the syncprov overlay as its admin guide configures a provider, loaded
                        with the same data: the reference for the latency target)
  --replication-rate N  writes/s while the replica follows (default 1000)
  --replication-seconds S  measured seconds of those writes (default 30)
  --replica LIST        the replica configurations measured (default dbnosync,durable):
                        dbnosync (no fsync per transaction: slapd-mdb's setting for a copy
                        the writer can rebuild) and durable (an fsync per transaction, as
                        slapd is configured out of the box)
  --results FILE        results file to update (default bench/RESULTS.md); --no-results: print only
  --keep                keep the temporary directory (databases, LDIF, profile)
`;

/** A slapd replica's durability: an fsync per transaction (as out of the box), or `dbnosync`. */
export const REPLICA_MODES = ['dbnosync', 'durable'] as const;
export type ReplicaMode = (typeof REPLICA_MODES)[number];

function replicaModes(text: string): ReplicaMode[] {
  const names = list(text);
  for (const m of names) if (!(REPLICA_MODES as readonly string[]).includes(m)) throw new Error(`--replica: unknown configuration ${m} (known: ${REPLICA_MODES.join(', ')})`);
  if (names.length === 0) throw new Error('--replica: name at least one configuration');
  return names as ReplicaMode[];
}

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

function liveProviders(text: string): Target[] {
  const names = list(text);
  for (const p of names) if (!(LIVE_PROVIDERS as readonly string[]).includes(p)) throw new Error(`--live-provider: unknown provider ${p} (known: ${LIVE_PROVIDERS.join(', ')})`);
  if (names.length === 0) throw new Error('--live-provider: name at least one provider');
  return names as Target[];
}

function liveParts(text: string): LivePart[] {
  const names = list(text);
  for (const p of names) if (!(LIVE_PARTS as readonly string[]).includes(p)) throw new Error(`--live: unknown part ${p} (known: ${LIVE_PARTS.join(', ')})`);
  return names as LivePart[];
}

function workloadList(flag: string, text: string): WorkloadName[] {
  const names = list(text);
  for (const w of names) if (!(WORKLOAD_NAMES as readonly string[]).includes(w)) throw new Error(`${flag}: unknown workload ${w} (known: ${WORKLOAD_NAMES.join(', ')})`);
  return names as WorkloadName[];
}

/** A slapd.conf loglevel: numbers (decimal or 0x hex) and level names, separated by spaces or commas. */
function slapdLoglevel(text: string): string {
  const levels = text.split(/[\s,]+/).filter(Boolean);
  if (levels.length === 0 || levels.some((l) => !/^(-?\d+|0x[\da-f]+|[a-z]+\d?)$/i.test(l))) throw new Error(`--slapd-loglevel: not a slapd loglevel (numbers or names such as stats): ${text}`);
  return levels.join(' ');
}

function positive(name: string, text: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`${name}: not a positive number: ${text}`);
  return n;
}

/** Parses the flags; throws with a message for bad ones. `defaultResults` is bench/RESULTS.md. */
export function parseOptions(argv: string[], defaultResults: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      size: { type: 'string' },
      people: { type: 'string' },
      seed: { type: 'string' },
      'base-time': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      workloads: { type: 'string' },
      processes: { type: 'string' },
      'load-connections': { type: 'string' },
      'max-load-minutes': { type: 'string' },
      'slapd-load': { type: 'string' },
      'no-slapd': { type: 'boolean' },
      workers: { type: 'string' },
      'slapd-loglevel': { type: 'string' },
      'busy-poll-compare': { type: 'boolean' },
      'slapd-skip': { type: 'string' },
      'no-harness': { type: 'boolean' },
      'no-ldclt': { type: 'boolean' },
      profile: { type: 'string' },
      'no-profile': { type: 'boolean' },
      results: { type: 'string' },
      'no-results': { type: 'boolean' },
      live: { type: 'string' },
      'no-live': { type: 'boolean' },
      'live-only': { type: 'boolean' },
      'live-watchers': { type: 'string' },
      'live-rate': { type: 'string' },
      'live-warmup': { type: 'string' },
      'live-repeat': { type: 'string' },
      'live-provider': { type: 'string' },
      'replication-rate': { type: 'string' },
      'replication-seconds': { type: 'string' },
      replica: { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const size = Math.floor(positive('--size', values.size ?? '10000'));
  if (size < 10 || size > 8_000_000) throw new Error('--size: between 10 and 8000000 conferences');
  const hour = 3_600_000;
  const baseTime = values['base-time'] === undefined ? Math.floor(Date.now() / hour) * hour : Date.parse(values['base-time']);
  if (Number.isNaN(baseTime)) throw new Error(`--base-time: not a date: ${values['base-time']}`);
  const workloads = workloadList('--workloads', values.workloads ?? WORKLOAD_NAMES.join(','));
  const liveOnly = values['live-only'] === true;
  if (liveOnly && values['no-live']) throw new Error('--live-only and --no-live: choose one');
  const profile = values['no-profile'] || liveOnly ? [] : workloadList('--profile', values.profile ?? 'equality,addDelete');
  const slapdLoad = values['slapd-load'] ?? (size > 100_000 ? 'slapadd' : 'ldap');
  if (slapdLoad !== 'ldap' && slapdLoad !== 'slapadd') throw new Error('--slapd-load: ldap or slapadd');
  return {
    size,
    people: Math.floor(positive('--people', values.people ?? String(Math.max(10, Math.floor(size / 10))))),
    seed: Math.floor(positive('--seed', values.seed ?? '1', true)),
    baseTime,
    durationMs: positive('--duration', values.duration ?? '10') * 1000,
    warmupMs: positive('--warmup', values.warmup ?? '3', true) * 1000,
    connections: list(values.connections ?? '1,8,64').map((c) => Math.floor(positive('--connections', c))),
    workloads,
    processes: Math.floor(positive('--processes', values.processes ?? '2')),
    loadConnections: Math.floor(positive('--load-connections', values['load-connections'] ?? '8')),
    maxLoadMinutes: positive('--max-load-minutes', values['max-load-minutes'] ?? '180', true),
    slapd: !values['no-slapd'] && !liveOnly,
    workers: values.workers === undefined ? undefined : positive('--workers', values.workers),
    slapdLoglevel: slapdLoglevel(values['slapd-loglevel'] ?? '0'),
    busyPollCompare: values['busy-poll-compare'] === true,
    slapdSkip: values['slapd-skip'] === undefined ? [] : workloadList('--slapd-skip', values['slapd-skip']),
    slapdLoad,
    harness: !values['no-harness'] && !liveOnly,
    ldclt: !values['no-ldclt'] && !liveOnly,
    profile,
    live: values['no-live'] ? [] : liveParts(values.live ?? LIVE_PARTS.join(',')),
    liveWatchers: list(values['live-watchers'] ?? '1,100,1000').map((n) => Math.floor(positive('--live-watchers', n))),
    liveRate: positive('--live-rate', values['live-rate'] ?? '500'),
    liveWarmupMs: positive('--live-warmup', values['live-warmup'] ?? '30', true) * 1000,
    liveRepeat: Math.floor(positive('--live-repeat', values['live-repeat'] ?? '3')),
    liveProviders: liveProviders(values['live-provider'] ?? 'rendezvous'),
    replicationRate: positive('--replication-rate', values['replication-rate'] ?? '1000'),
    replicationSeconds: positive('--replication-seconds', values['replication-seconds'] ?? '30'),
    replicaModes: replicaModes(values.replica ?? REPLICA_MODES.join(',')),
    liveProfile: !values['no-profile'],
    results: values['no-results'] ? undefined : (values.results ?? defaultResults),
    keep: values.keep === true,
  };
}
