/** Modify (RFC 4511 §4.6) on the wire: the changes go to the Writer, the result once they are durable. */
import { ResultCode, type Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export async function modify(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'modify' }>): Promise<void> {
  await session.services.writer.write({ op: 'modify', identity: session.identity, dn: request.dn, changes: request.changes });
  return session.respond(envelope, ResultCode.success);
}
