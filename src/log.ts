/**
 * How the server's parts (the LDAP listener, MADCAP, the primary and its workers) report
 * what happens: one line per event on stderr, with the time.
 */

/** Where the server reports what happens. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** Logs to stderr: `2026-11-24T10:00:00.000Z rendezvous: message`. */
export const stderrLogger: Logger = {
  info: (message) => process.stderr.write(`${new Date().toISOString()} rendezvous: ${message}\n`),
  warn: (message) => process.stderr.write(`${new Date().toISOString()} rendezvous: warning: ${message}\n`),
};

/** Discards everything (tests that start servers in-process). */
export const silentLogger: Logger = { info: () => {}, warn: () => {} };

/** A logger that puts `prefix` before every message (which worker process speaks). */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  return { info: (message) => log.info(prefix + message), warn: (message) => log.warn(prefix + message) };
}
