/**
 * Bind (RFC 4511 §4.2) on the wire: the versions and methods offered, the TLS requirement
 * for passwords, and the failed-bind delay (the server's Admission) around the directory's check.
 */
import { DirectoryError } from '../../directory/index.js';
import { ResultCode, type Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Binds the session; it is anonymous from the moment the request is read until a bind succeeds. */
export async function bind(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'bind' }>): Promise<void> {
  const { directory, admission, log } = session.services;
  session.identity = directory.anonymous(session.address);
  if (request.version !== 2 && request.version !== 3) {
    return session.respond(envelope, ResultCode.protocolError, `LDAP version ${request.version} is not supported`);
  }
  if (request.auth.kind === 'sasl') {
    return session.respond(envelope, ResultCode.authMethodNotSupported, `SASL (${request.auth.mechanism}) is not supported; use a simple bind (ldapsearch -x)`);
  }
  const { name } = request;
  const { password } = request.auth;
  if (password !== '' && session.services.requireTlsForBind && !session.secure) {
    return session.respond(envelope, ResultCode.confidentialityRequired, 'binds with a password need TLS: use ldaps:// or StartTLS (ldapsearch -ZZ)');
  }
  const delay = password === '' ? 0 : await admission.bindDelay(session.address, name);
  if (delay > 0) await sleep(delay);
  try {
    session.identity = await directory.bind(name, password, request.version, session.address);
  } catch (error) {
    if (error instanceof DirectoryError && error.code === ResultCode.invalidCredentials) {
      const { failures, nextDelay } = await admission.bindFailed(session.address, name);
      log.info(`connection ${session.peer}: failed bind as '${name}' (${failures} recent failure(s); next attempt delayed ${nextDelay} ms)`);
    }
    throw error;
  }
  if (password !== '') admission.bindSucceeded(session.address, name);
  return session.respond(envelope, ResultCode.success);
}
