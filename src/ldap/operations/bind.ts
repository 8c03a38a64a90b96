/**
 * Bind (RFC 4511 §4.2) on the wire: the versions and methods offered, the TLS requirement
 * for passwords, and the failed-bind throttle (the server's Admission) around the directory's check.
 */
import { OperationError } from '../../directory/index.js';
import { ResultCode, type Envelope } from '../../protocol/index.js';
import type { BindOutcome } from '../admission.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

/** Binds the session; it is anonymous from the moment the request is read until a bind succeeds. */
export async function bind(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'bind' }>): Promise<void> {
  const { directory, admission } = session.services;
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
  // Password checks take turns per source (the failed-bind throttle); one whose connection
  // closes while it waits leaves the queue unchecked.
  const turn = password === '' ? undefined : admission.bindTurn(session.address, directory.bindAccountKey(name));
  let gone = false;
  if (turn) await Promise.race([turn.ready, session.gone.then(() => (gone = true))]);
  if (gone) return turn!.end('none');
  let outcome: BindOutcome = 'none';
  try {
    session.identity = await directory.bind(name, password, request.version, session.address);
    outcome = 'succeeded';
  } catch (error) {
    if (error instanceof OperationError && error.code === ResultCode.invalidCredentials) outcome = 'failed';
    throw error;
  } finally {
    turn?.end(outcome);
  }
  return session.respond(envelope, ResultCode.success);
}
