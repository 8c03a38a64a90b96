/**
 * How the server's parts (the LDAP listener, MADCAP, the primary and its workers) report
 * what happens: one line per event on stderr, with the time.
 */

/** Where the server reports what happens. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * `message` on one line: line breaks and other control characters (a bind name or a search
 * base a client sent, a stack trace) are written as escapes, so no event spans two lines and
 * no client can forge a line of its own.
 */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Logs to stderr: `2026-11-24T10:00:00.000Z rendezvous: message`. */
export const stderrLogger: Logger = {
  info: (message) => process.stderr.write(`${new Date().toISOString()} rendezvous: ${oneLine(message)}\n`),
  warn: (message) => process.stderr.write(`${new Date().toISOString()} rendezvous: warning: ${oneLine(message)}\n`),
};

/** Discards everything (tests that start servers in-process). */
export const silentLogger: Logger = { info: () => {}, warn: () => {} };

/** A logger that puts `prefix` before every message (which worker process speaks). */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  return { info: (message) => log.info(prefix + message), warn: (message) => log.warn(prefix + message) };
}
