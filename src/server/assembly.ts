/**
 * The composition root: the one place where the server's parts are put together, started
 * and stopped.
 *
 * Start, each step once the one before has succeeded (a failure stops what was started, in
 * reverse, and rejects):
 * 1. the options are checked ({@link checkServerOptions});
 * 2. the core of the process that writes ({@link startCore}): the database is opened and
 *    migrated, the schema loaded, the directory built over them (creating the tree when
 *    missing), expiry and the time-clustered copy started, and MADCAP bound to its UDP port;
 * 3. the LDAP listener: in this process ({@link LdapServer}), or `workers` worker processes
 *    forked, each opening the same database and listening on the shared sockets, while this
 *    process becomes their primary ({@link startWorkers});
 * 4. the web page and calendar feeds ({@link HttpListener}, src/http), unless `--http off`:
 *    in this process, the primary, also when there are workers: its change feed hears each
 *    commit first (a worker's hears it from the primary, or from its poll), which the live
 *    updates follow; its load is a page per person rather than a search per client; and its
 *    reads are bounded and yield to the event loop while they scan, so the writes it shares
 *    the process with go on. Workers serve LDAP only;
 * 5. the `listening on http://…` line, then the `listening on ldap://…` line, are logged:
 *    whoever waits for the LDAP line can connect to both.
 *
 * Stop ({@link RunningServer.stop}; it runs once, however often it is called), in reverse:
 * 1. the web page ends its event streams, stops accepting and finishes the requests it has;
 * 2. the LDAP listener stops accepting; each connection finishes and answers what it was sent,
 *    then gets a notice of disconnection (RFC 4511 §4.4.1) and is closed; workers are told
 *    to do the same and exit (and are killed if they take longer than 30 s);
 * 3. MADCAP closes its socket;
 * 4. expiry and the copy stop;
 * 5. the database is closed;
 * 6. `stopped` is logged.
 *
 * SIGTERM and SIGINT: `rendezvous serve` (src/cli/commands/serve.ts) listens for them before
 * it starts the server, logs `SIGTERM: stopping` and stops it as above (a signal that arrives
 * while the server starts stops it once started); the process then exits 0, nothing being
 * left on its event loop. A write is acknowledged only once committed, so no signal,
 * SIGKILL included, loses an acknowledged write.
 */
import { LdapServer } from '../ldap/server.js';
import type { DirectoryTree, ViewAttribute } from '../directory/index.js';
import type { HttpListener } from '../http/index.js';
import { readAttributeList } from '../ldap/responses.js';
import type { Logger } from '../log.js';
import { startCore } from './core.js';
import { checkServerOptions, httpAddress, listenerOptions, type ServerOptions } from './options.js';
import { startWorkers, type WorkerPool } from './workers.js';

/** A running server. */
export interface RunningServer {
  readonly url: string;
  /** The web page's `http://…/` URL; undefined with `--http off`. */
  readonly httpUrl: string | undefined;
  readonly directory: DirectoryTree;
  /** Stops listening, finishes in-flight operations, closes the database. */
  stop(): Promise<void>;
}

/** Starts the server, in this process or with worker processes (`workers`). */
export async function startServer(options: ServerOptions, log: Logger): Promise<RunningServer> {
  checkServerOptions(options);
  const http = httpAddress(options);
  // Loaded only when wanted (fastify costs a few hundred milliseconds), and from the start, so
  // that loading overlaps the core's and the workers' start.
  const httpModule = http ? import('../http/index.js') : undefined;
  httpModule?.catch(() => undefined); // Awaited below; a start that fails before then must not leave it unhandled.
  const core = await startCore(options, log);
  const workers = options.workers ?? 1;
  let listener: LdapServer | WorkerPool;
  try {
    listener = workers > 1 ? await startWorkers(core.directory, options, log) : await LdapServer.start(core.directory, listenerOptions(options), log);
  } catch (error) {
    await core.close();
    throw error;
  }
  let web: HttpListener | undefined;
  if (http && httpModule) {
    try {
      const { HttpListener } = await httpModule;
      // The page reads attributes the searches hand over encoded with the protocol's codec, as text.
      const readEncoded = (encoded: Buffer): ViewAttribute[] => readAttributeList(encoded, () => false);
      web = await HttpListener.start(core.directory, { ...http, changes: core.directory.changes, readEncoded }, log);
    } catch (error) {
      await listener.close();
      await core.close();
      throw error;
    }
    log.info(`listening on ${web.url} (web page and calendar feeds)`);
  }
  const url = announce(options, listener, log, workers > 1 ? `, ${workers} worker processes` : '');
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    await web?.close();
    await listener.close();
    await core.close();
    log.info('stopped');
  };
  return { url, httpUrl: web?.url, directory: core.directory, stop: () => (stopping ??= stop()) };
}

/** Logs where the server listens; returns its ldap:// URL. */
function announce(options: ServerOptions, ports: { port: number; tlsPort: number | undefined }, log: Logger, detail: string): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `ldap://${host}:${ports.port}`;
  // LDAPS first: whoever waits for the ldap:// line then finds both.
  if (ports.tlsPort !== undefined) log.info(`listening on ldaps://${host}:${ports.tlsPort}`);
  log.info(`listening on ${url} (suffix ${options.suffix}, database ${options.db}${options.ilsOpen ? ', ILS open registration' : ''}${options.tls ? ', StartTLS' : ''}${detail})`);
  return url;
}
