/**
 * Extended operations (RFC 4511 §4.12) on the wire: StartTLS (the connection switches to
 * TLS), Who am I? (RFC 4532), Cancel (RFC 3909) of a live search, and the RFC 2589 refresh
 * and the RFC 3062 password modify, which go to the Writer.
 */
import {
  CANCEL_OID,
  decodeCancelRequest,
  decodePasswordModifyRequest,
  decodeRefreshRequest,
  encodePasswordModifyResponse,
  encodeRefreshResponse,
  message,
  PASSWORD_MODIFY_OID,
  REFRESH_OID,
  ResultCode,
  STARTTLS_OID,
  WHOAMI_OID,
  type Envelope,
} from '../../protocol/index.js';
import { checkDnSize } from '../../directory/index.js';
import { extendedResponseOp } from '../responses.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';

export async function extended(session: Session, envelope: Envelope, request: Extract<LdapRequest, { type: 'extended' }>): Promise<void> {
  switch (request.oid) {
    case STARTTLS_OID:
      return session.startTls(envelope);
    case WHOAMI_OID: {
      const authzId = session.identity.dn === '' ? '' : `dn:${session.identity.dn}`;
      return session.write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', undefined, Buffer.from(authzId, 'utf8'))));
    }
    case CANCEL_OID: {
      // RFC 3909: the cancelled operation answers `canceled`, then the cancel answers. Only a
      // live search runs beside the queue; any other operation is answered before this one is read.
      const target = decodeCancelRequest(request.value);
      if (await session.endLive(target, 'cancel')) return session.respond(envelope, ResultCode.success);
      return session.respond(envelope, ResultCode.noSuchOperation, `no operation ${target} in progress on this connection to cancel`);
    }
    case REFRESH_OID: {
      const { dn, ttl } = decodeRefreshRequest(request.value);
      // Refused here, in the process that received it, before it goes to the one that writes.
      checkDnSize(dn);
      const granted = (await session.services.writer.write({ op: 'refresh', identity: session.identity, dn, ttl }))!;
      return session.write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', REFRESH_OID, encodeRefreshResponse(granted))));
    }
    case PASSWORD_MODIFY_OID: {
      // Passwords cross the wire in this request: where binds need TLS, so does it.
      if (session.services.requireTlsForBind && !session.secure) {
        return session.respond(envelope, ResultCode.confidentialityRequired, 'password changes need TLS: use ldaps:// or StartTLS (ldappasswd -ZZ)');
      }
      const asked = decodePasswordModifyRequest(request.value);
      if (asked.user !== undefined) checkDnSize(asked.user);
      // Checked and hashed here, in the process that received it; written by the one that writes.
      const { change, generated } = await session.services.directory.preparePasswordChange(session.identity, asked);
      await session.services.writer.write({ op: 'password', identity: session.identity, change });
      return session.write(message(envelope.messageId, extendedResponseOp(ResultCode.success, '', undefined, encodePasswordModifyResponse(generated))));
    }
    default:
      return session.respond(envelope, ResultCode.protocolError, `extended operation ${request.oid} is not supported`);
  }
}
