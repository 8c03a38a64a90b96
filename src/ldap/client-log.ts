/**
 * What the listener and the connections log about clients' doings that a client can repeat at
 * will: refused connections, disconnections (protocol errors, oversized or slow PDUs, idle
 * connections), socket and TLS errors, searches cut at the size limit. Each is logged at
 * most once per client address per interval, with a count of the rest, so an attack costs a
 * line per source every few seconds rather than a line per request.
 */
import { RateLimitedLog, type Logger } from '../log.js';

/** The rate-limited log lines about clients, by kind; each is noted with the client's address. */
export class ClientLog {
  readonly refused: RateLimitedLog;
  readonly disconnected: RateLimitedLog;
  readonly errors: RateLimitedLog;
  readonly sizeLimited: RateLimitedLog;

  constructor(log: Logger, intervalMs?: number) {
    const info = (message: string): void => log.info(message);
    this.refused = new RateLimitedLog(info, 'refused connections', intervalMs);
    this.disconnected = new RateLimitedLog(info, 'disconnections', intervalMs);
    this.errors = new RateLimitedLog(info, 'connection errors', intervalMs);
    this.sizeLimited = new RateLimitedLog(info, 'searches stopped at the size limit', intervalMs);
  }
}
