/** Add (RFC 4511 §4.7) on the wire: the entry goes to the Writer, the result once it is durable. */
import { ResultCode, type Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export async function add(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'add' }>): Promise<void> {
  await session.services.writer.write({ op: 'add', identity: session.identity, dn: request.dn, attributes: request.attributes });
  return session.respond(envelope, ResultCode.success);
}
