/**
 * `rendezvous serve`: runs the directory until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFERENCE_GRACE, DEFAULT_TTL_POLICY } from '../../directory/index.js';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { stderrLogger } from '../../log.js';
import { DEFAULT_BUSY_POLL_MICROS } from '../../ldap/busy-poll.js';
import { DEFAULT_LIMITS } from '../../ldap/server.js';
import { checkServerOptions, DEFAULT_MAX_DB_BYTES, DEFAULT_SERVER_OPTIONS, DEFAULT_SYNC_LOG, parseHttpOption, ServerOptionsError, startServer, type HttpAddress, type ServerOptions } from '../../server/index.js';
import { CliError, UsageError } from '../errors.js';
import { integerOption } from '../options.js';
import { parseScopeSpec, ScopeError, type MulticastScope } from '../../mcast/scopes.js';
import { DEFAULT_MAX_CLOCK_SKEW } from '../../mcast/responder.js';

interface ServeOptions {
  host: string;
  port: number;
  db: string;
  suffix: string;
  ilsOpen?: boolean;
  ttlDefault: number;
  ttlMin: number;
  ttlMax: number;
  conferenceGrace: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsPort: number;
  requireTlsForBind?: boolean;
  maxPdu: number;
  maxPduAnonymous: number;
  pduTimeout: number;
  minPduRate: number;
  partialPduBudget: number;
  handshakeTimeout: number;
  timeLimit: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  bindDelayBase: number;
  maxPending: number;
  idleTimeout: number;
  sizeLimit: number;
  maxDbSize: number;
  readOnly?: boolean;
  madcapPort?: number | 'off';
  madcapClockSkew: number;
  scope: MulticastScope[];
  refuseClashes?: boolean;
  workers: number;
  busyPoll: number;
  syncLog: number;
  syncLogAge: number;
  maxLiveSearches: number;
  maxLiveSearchesTotal: number;
  liveBacklog: number;
  http?: HttpAddress | 'off';
}

/** One worker per core: searches are CPU-bound and each process runs on one core. */
const DEFAULT_WORKERS = availableParallelism();

/** `--madcap-port`: a port, 0 for a free one, or `off` (commander would turn a null into ''). */
function madcapPortOption(value: string): number | 'off' {
  return value === 'off' ? 'off' : integerOption('--madcap-port', 0, 65535)(value);
}

/** `--http [HOST:]PORT`, or `off`. */
function httpOption(value: string): HttpAddress | 'off' {
  try {
    return parseHttpOption(value) ?? 'off';
  } catch (error) {
    if (error instanceof ServerOptionsError) throw new UsageError(error.message);
    throw error;
  }
}

/** `--scope RANGE,TTL,DESCRIPTION`, repeatable. */
function scopeOption(value: string, previous: MulticastScope[]): MulticastScope[] {
  try {
    return [...previous, parseScopeSpec(value)];
  } catch (error) {
    if (error instanceof ScopeError) throw new UsageError(`--scope: ${error.message}`);
    throw error;
  }
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CliError(`cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** Adds the `serve` command. */
export function registerServe(program: Command, version: string): void {
  const d = DEFAULT_SERVER_OPTIONS;
  const ttl = integerOption('a TTL', 1, 31_557_600);
  program
    .command('serve')
    .description('run the LDAP directory server on its SQLite database')
    .option('--host <address>', 'address to listen on', d.host)
    .option('--port <port>', 'LDAP port (0 picks a free one)', integerOption('--port', 0, 65535), d.port)
    .option('--db <path>', 'SQLite database file (created if missing)', d.db)
    .option('--suffix <dn>', 'naming context of the directory', d.suffix)
    .option('--ils-open', 'let anonymous clients register and keep their own entries alive, as ILS servers did')
    .option('--ttl-default <seconds>', 'time to live of new dynamic entries', ttl, DEFAULT_TTL_POLICY.defaultTtl)
    .option('--ttl-min <seconds>', 'shorter requested TTLs are raised to this', ttl, DEFAULT_TTL_POLICY.minTtl)
    .option('--ttl-max <seconds>', 'longest TTL granted: longer refreshes are refused, a modify of entryTTL gets this', ttl, DEFAULT_TTL_POLICY.maxTtl)
    .option('--conference-grace <seconds>', 'how long a conference is kept after its SDP stop time', integerOption('--conference-grace', 0, 31_557_600), DEFAULT_CONFERENCE_GRACE)
    .option('--tls-cert <file>', 'PEM certificate: enables StartTLS and LDAPS')
    .option('--tls-key <file>', 'PEM private key of the certificate')
    .option('--tls-port <port>', 'LDAPS port (with --tls-cert; 0 picks a free one)', integerOption('--tls-port', 0, 65535), d.tlsPort)
    .option('--require-tls-for-bind', 'refuse simple binds with a password on connections without TLS (confidentialityRequired)')
    .option('--max-pdu <bytes>', 'largest request accepted from a bound client; a larger one ends the connection', integerOption('--max-pdu', 1024, 1024 ** 3), DEFAULT_LIMITS.maxPduBytes)
    .option('--max-pdu-anonymous <bytes>', 'largest request accepted before a bind (as slapd\'s sockbuf_max_incoming)', integerOption('--max-pdu-anonymous', 1024, 1024 ** 3), DEFAULT_LIMITS.maxAnonymousPduBytes)
    .option('--pdu-timeout <seconds>', 'a request must arrive whole this long after its first byte', integerOption('--pdu-timeout', 1, 3600), DEFAULT_LIMITS.pduTimeoutMs / 1000)
    .option('--min-pdu-rate <bytes>', 'bytes a second a request must arrive at, on average, after its first 5 s', integerOption('--min-pdu-rate', 0, 1024 ** 3), DEFAULT_LIMITS.minPduRate)
    .option('--partial-pdu-budget <bytes>', 'bytes of incomplete requests one process holds for all its connections', integerOption('--partial-pdu-budget', 65536, 1024 ** 4), DEFAULT_LIMITS.partialBudgetBytes)
    .option('--handshake-timeout <seconds>', 'a TLS handshake (LDAPS or StartTLS) must be done this long after it starts', integerOption('--handshake-timeout', 1, 3600), DEFAULT_LIMITS.handshakeTimeoutMs / 1000)
    .option('--time-limit <seconds>', 'longest a search runs (a client\'s smaller time limit wins)', integerOption('--time-limit', 1, 31_557_600), DEFAULT_LIMITS.timeLimit)
    .option('--max-connections <n>', 'open connections in total', integerOption('--max-connections', 1, 1_000_000), DEFAULT_LIMITS.maxConnections)
    .option('--max-connections-per-address <n>', 'open connections from one client address', integerOption('--max-connections-per-address', 1, 1_000_000), DEFAULT_LIMITS.maxConnectionsPerAddress)
    .option('--bind-delay-base <ms>', 'delay after a failed bind, doubled after each further one up to 32 times this (per client address and per account); 0: no delay', integerOption('--bind-delay-base', 0, 60_000), DEFAULT_LIMITS.bindDelayBaseMs)
    .option('--max-pending <n>', 'operations queued on one connection before the server stops reading it', integerOption('--max-pending', 1, 100_000), DEFAULT_LIMITS.maxPending)
    .option('--idle-timeout <seconds>', 'close connections with no complete request and nothing to do this long (0: never)', integerOption('--idle-timeout', 0, 31_557_600), DEFAULT_LIMITS.idleTimeoutMs / 1000)
    .option('--size-limit <n>', 'most entries one search (or one page) returns', integerOption('--size-limit', 1, 100_000_000), DEFAULT_LIMITS.sizeLimit)
    .option('--max-db-size <megabytes>', 'database quota: writes beyond it are refused (unavailable), reads go on (0: none)', integerOption('--max-db-size', 0, 1_000_000), DEFAULT_MAX_DB_BYTES / 1024 ** 2)
    .option('--read-only', 'serve reads only: every write is refused (unwillingToPerform)')
    .option('--madcap-port <port>', 'MADCAP (RFC 2730) UDP port on the same host; 0 picks a free one, off turns it off (default 2535, skipped if taken)', madcapPortOption)
    .option('--madcap-clock-skew <seconds>', "largest difference between a MADCAP client's clock and the server's that is accepted (RFC 2730 §2.12)", integerOption('--madcap-clock-skew', 0, 31_557_600), DEFAULT_MAX_CLOCK_SKEW)
    .option('--scope <range,ttl,description>', 'a multicast scope to allocate from, e.g. 239.255.0.0/16,16,Local Scope (repeatable; replaces the defaults)', scopeOption, [])
    .option('--workers <n>', 'processes serving LDAP connections (1: everything in one process)', integerOption('--workers', 1, 256), DEFAULT_WORKERS)
    .option('--busy-poll <microseconds>', 'after answering a lone client, poll this long for its next request instead of sleeping: lower latency for one-request-at-a-time clients, for some idle CPU (0: off)', integerOption('--busy-poll', 0, 100_000), DEFAULT_BUSY_POLL_MICROS)
    .option('--sync-log <changes>', 'changes the change log keeps for sync clients and replicas to resume from (older cookies get a full refresh)', integerOption('--sync-log', 1, 1_000_000_000), DEFAULT_SYNC_LOG.keep)
    .option('--sync-log-age <seconds>', 'and the longest it keeps a change', integerOption('--sync-log-age', 1, 31_557_600 * 10), DEFAULT_SYNC_LOG.maxAgeMs / 1000)
    .option('--max-live-searches <n>', 'live searches (sync refreshAndPersist, persistent search, AD change notification) one connection may hold open', integerOption('--max-live-searches', 1, 1_000_000), DEFAULT_LIMITS.maxLiveSearches)
    .option('--max-live-searches-total <n>', 'live searches the server holds open in total, over all its worker processes', integerOption('--max-live-searches-total', 1, 10_000_000), DEFAULT_LIMITS.maxLiveSearchesTotal)
    .option('--live-backlog <changes>', 'changes a live search may fall behind before it is ended (sync: e-syncRefreshRequired; persistent search, AD change notification: disconnected)', integerOption('--live-backlog', 1, 100_000_000), DEFAULT_LIMITS.liveBacklog)
    .option('--http <[host:]port>', 'web page and calendar feeds (read-only); off turns them off (default 127.0.0.1 on the LDAP port + 1)', httpOption)
    .option('--refuse-clashes', 'refuse conferences whose multicast groups another conference or lease holds at the same time (constraintViolation)')
    .addHelpText('after', '\nExamples:\n  $ rendezvous serve\n  $ rendezvous serve --port 389 --host 0.0.0.0 --db /var/lib/rendezvous/directory.db --ils-open')
    .action(async (options: ServeOptions) => {
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
      const tls = options.tlsCert && options.tlsKey ? { cert: await readPem(options.tlsCert, 'certificate'), key: await readPem(options.tlsKey, 'key') } : undefined;
      const serverOptions: ServerOptions = {
        host: options.host,
        port: options.port,
        db: options.db,
        suffix: options.suffix,
        ilsOpen: options.ilsOpen === true,
        ttl: { defaultTtl: options.ttlDefault, minTtl: options.ttlMin, maxTtl: options.ttlMax },
        conferenceGrace: options.conferenceGrace,
        ...(tls ? { tls, tlsPort: options.tlsPort } : {}),
        requireTlsForBind: options.requireTlsForBind === true,
        limits: {
          maxPduBytes: options.maxPdu,
          maxAnonymousPduBytes: options.maxPduAnonymous,
          pduTimeoutMs: options.pduTimeout * 1000,
          minPduRate: options.minPduRate,
          partialBudgetBytes: options.partialPduBudget,
          handshakeTimeoutMs: options.handshakeTimeout * 1000,
          timeLimit: options.timeLimit,
          maxConnections: options.maxConnections,
          maxConnectionsPerAddress: options.maxConnectionsPerAddress,
          bindDelayBaseMs: options.bindDelayBase,
          maxPending: options.maxPending,
          idleTimeoutMs: options.idleTimeout * 1000,
          sizeLimit: options.sizeLimit,
          maxLiveSearches: options.maxLiveSearches,
          maxLiveSearchesTotal: options.maxLiveSearchesTotal,
          liveBacklog: options.liveBacklog,
        },
        syncLog: { keep: options.syncLog, maxAgeMs: options.syncLogAge * 1000 },
        maxDbBytes: options.maxDbSize * 1024 * 1024,
        readOnly: options.readOnly === true,
        ...(options.madcapPort === undefined ? {} : { madcapPort: options.madcapPort === 'off' ? null : options.madcapPort }),
        madcapClockSkew: options.madcapClockSkew,
        ...(options.scope.length > 0 ? { scopes: options.scope } : {}),
        refuseClashes: options.refuseClashes === true,
        workers: options.workers,
        busyPollMicros: options.busyPoll,
        ...(options.http === undefined ? {} : { http: options.http === 'off' ? null : options.http }),
        version,
      };
      try {
        checkServerOptions(serverOptions);
      } catch (error) {
        if (error instanceof ServerOptionsError) throw new UsageError(error.message);
        throw error;
      }
      // Handlers first: a signal that arrives while the server starts stops it once started.
      let stopSignal: string | undefined;
      let stopNow: ((signal: string) => void) | undefined;
      const onSignal = (signal: string): void => (stopNow ? stopNow(signal) : void (stopSignal ??= signal));
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      let server;
      try {
        server = await startServer(serverOptions, stderrLogger);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new CliError(`cannot listen on ${options.host}:${options.port}: the address is in use`);
        if (e.code === 'EACCES') throw new CliError(`cannot listen on ${options.host}:${options.port}: permission denied`);
        if (e.message.includes('key values mismatch') || e.message.includes('PEM')) throw new CliError(`cannot use the TLS certificate and key: ${e.message}`);
        throw new CliError(`cannot start: ${e.message}`);
      }
      const running = server;
      await new Promise<void>((resolve) => {
        stopNow = (signal: string): void => {
          stderrLogger.info(`${signal}: stopping`);
          void running.stop().then(resolve);
        };
        if (stopSignal) stopNow(stopSignal);
      });
    });
}
