/** Compare (RFC 4511 §4.10) on the wire: compareTrue or compareFalse from the directory's answer. */
import { ResultCode, type Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export function compare(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'compare' }>): Promise<void> {
  const equal = session.services.directory.compare(request.dn, request.attribute, request.value);
  return session.respond(envelope, equal ? ResultCode.compareTrue : ResultCode.compareFalse);
}
