/** ModifyDN (RFC 4511 §4.9): refused by the directory (entries are not renamed, as in ILS). */
import type { Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export function modifyDn(session: Session, _envelope: Envelope, request: Extract<LdapRequest, { type: 'modifyDn' }>): void {
  session.services.directory.modifyDn(request.dn);
}
