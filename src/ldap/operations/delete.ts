/** Delete (RFC 4511 §4.8) on the wire: the delete goes to the Writer, the result once it is durable. */
import { ResultCode, type Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export async function del(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'delete' }>): Promise<void> {
  await session.services.writer.write({ op: 'delete', identity: session.identity, dn: request.dn });
  return session.respond(envelope, ResultCode.success);
}
