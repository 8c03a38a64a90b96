/**
 * Typed failures of the client library, mirroring TAPI's Rendezvous error codes
 * (RND_NOT_CONNECTED, RND_ALREADY_CONNECTED, RND_INVALID_TIME) and carrying the LDAP
 * result code and the server's diagnostic message for everything the server refused.
 */
import { ResultCode as RESULT_CODES } from '../protocol/index.js';

/** Result codes a client meets, by name: the protocol's (shared with the server) and the client-side ones. */
export const ResultCode = {
  ...RESULT_CODES,
  /** Client-side (RFC 1823 / OpenLDAP API): the connection to the server was lost. */
  serverDown: 81,
  /** Client-side: the connection could not be made. */
  connectError: 91,
} as const;

const NAMES = new Map<number, string>(
  Object.entries(ResultCode).map(([name, code]) => [code, name.replace(/[A-Z]+(?![a-z])|[A-Z]/g, (upper) => ` ${upper.toLowerCase()}`)]),
);

/** The result code in words (`49` → `invalid credentials`). */
export function resultName(code: number): string {
  return NAMES.get(code) ?? `LDAP result code ${code}`;
}

/**
 * The server refused an operation, or it could not be carried out. `code` is the LDAP
 * result code, `diagnostic` the server's own message (often empty on servers other than
 * Rendezvous), `dn` the entry concerned when there is one.
 */
export class DirectoryError extends Error {
  readonly code: number;
  readonly diagnostic: string;
  readonly dn: string | undefined;

  constructor(code: number, diagnostic: string, dn?: string, options?: ErrorOptions) {
    super(`${dn ? `${dn}: ` : ''}${diagnostic || resultName(code)}`, options);
    this.name = 'DirectoryError';
    this.code = code;
    this.diagnostic = diagnostic;
    this.dn = dn;
  }
}

/** The server could not be reached (refused, unknown host, TLS failure, timeout). */
export class ConnectError extends DirectoryError {
  /** The URL that was tried last. */
  readonly url: string;
  /** Why, in words: `connection refused`, `unknown host`... */
  readonly reason: string;

  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(ResultCode.connectError, `cannot connect to ${url}: ${reason}`, undefined, options);
    this.name = 'ConnectError';
    this.url = url;
    this.reason = reason;
  }
}

/** An operation before `connect()` succeeded, or after `close()` (TAPI's RND_NOT_CONNECTED). */
export class NotConnectedError extends Error {
  constructor() {
    super('not connected: call connect() first');
    this.name = 'NotConnectedError';
  }
}

/** `connect()` on a Directory that is already connected (TAPI's RND_ALREADY_CONNECTED). */
export class AlreadyConnectedError extends Error {
  constructor(url: string) {
    super(`already connected to ${url}`);
    this.name = 'AlreadyConnectedError';
  }
}

/** A conference time that is not a valid date, or a stop before the start (TAPI's RND_INVALID_TIME). */
export class InvalidTimeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTimeError';
  }
}

const SOCKET_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** Why a socket-level error happened, in words, or undefined when it is not one. */
export function socketReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // ldapts's own connect timer rejects with a bare Error.
  if (error instanceof Error && error.message === 'Connection timeout') return 'timed out';
  if (typeof code !== 'string') return undefined;
  if (code in SOCKET_REASONS) return SOCKET_REASONS[code];
  // TLS failures carry ERR_TLS_* or OpenSSL codes; their message says what went wrong.
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED/.test(code)) return (error as Error).message;
  return undefined;
}

/** ldapts appends ` Code: 0x31` to the server's diagnostic; this is the diagnostic alone. */
const diagnosticOf = (message: string): string => message.replace(/\s*Code: 0x[0-9a-f]+$/i, '');

/**
 * Turns what ldapts throws into a {@link DirectoryError}: result-code errors keep the code and
 * the server's diagnostic; a lost connection becomes serverDown. Anything else is returned
 * unchanged (programming errors should not be disguised as directory errors).
 */
export function fromLdapError(error: unknown, dn?: string): unknown {
  if (error instanceof DirectoryError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && typeof code === 'number') {
    return new DirectoryError(code, diagnosticOf(error.message), dn, { cause: error });
  }
  const reason = socketReason(error);
  if (reason !== undefined) return new DirectoryError(ResultCode.serverDown, `connection to the server lost: ${reason}`, dn, { cause: error });
  if (error instanceof Error && /connection (?:closed|ended)|socket (?:closed|hang up)/i.test(error.message)) {
    return new DirectoryError(ResultCode.serverDown, `connection to the server lost: ${error.message}`, dn, { cause: error });
  }
  return error;
}
