/** Unbind (RFC 4511 §4.3): the client is leaving; the connection closes without a response. */
import type { Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export function unbind(session: Session, _envelope: Envelope, _request: Extract<LdapRequest, { type: 'unbind' }>): void {
  session.close();
}
