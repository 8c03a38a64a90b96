/**
 * Abandon (RFC 4511 §4.11): no response; a search of that message id stops before its next
 * entry. The connection runs this as the request arrives, ahead of its queue: an abandon
 * must overtake the operation it abandons.
 */
import type { Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export function abandon(session: Session, _envelope: Envelope, request: Extract<LdapRequest, { type: 'abandon' }>): void {
  session.abandon(request.messageId);
}
