/**
 * The server: what `rendezvous serve` and in-process users start ({@link startServer}, the
 * composition root, whose doc comment gives the lifecycle), the options it takes, and the
 * directory over a database file without the rest ({@link openDirectory}).
 */
export { startServer, type RunningServer } from './assembly.js';
export { openDirectory } from './core.js';
export {
  checkServerOptions,
  DEFAULT_HTTP_HOST,
  DEFAULT_MAX_DB_BYTES,
  DEFAULT_SERVER_OPTIONS,
  DEFAULT_SYNC_LOG,
  httpAddress,
  parseHttpOption,
  ServerOptionsError,
  type HttpAddress,
  type ServerOptions,
  type SyncLogBounds,
} from './options.js';
