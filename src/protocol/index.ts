/**
 * What the server (src/ldap) and the client (src/client) both speak of LDAP, in one
 * implementation: the BER codec, the LDAPMessage envelope and operation tags, the result
 * codes, the OIDs of the extended operations, controls and features, the RFC 2589
 * refresh values, the RFC 3062 password modify values, the values of the live-update
 * controls (RFC 4533 sync, persistent search, cancel), and the requests a client encodes and
 * the responses it decodes on its own connections (live searches). Nothing here depends on
 * any other layer.
 */
export { BerError, BerReader, boolean, integer, octets, pduLength, readTlv, readTlvInto, tlv, tlvHolder, tlvSize, writeHeader, type Tlv } from './ber.js';
export { PartialBudget, PduFramer, PduRefusal } from './framing.js';
export { decodeEnvelope, message, MessageBatch, messageBody, messageIdLength, messageWithBody, Op, writeMessageId, RESPONSE_OF, type Envelope, type RequestControl, type ResponseControl } from './message.js';
export {
  AD_NOTIFICATION_OID,
  ALL_OPERATIONAL_ATTRIBUTES_OID,
  CANCEL_OID,
  ENTRY_CHANGE_NOTIFICATION_OID,
  MANAGE_DSA_IT_OID,
  PERSISTENT_SEARCH_OID,
  SYNC_DONE_OID,
  SYNC_INFO_OID,
  SYNC_REQUEST_OID,
  SYNC_STATE_OID,
  NOTICE_OF_DISCONNECTION_OID,
  PAGED_RESULTS_OID,
  PASSWORD_MODIFY_OID,
  REFRESH_OID,
  STARTTLS_OID,
  WHOAMI_OID,
} from './oids.js';
export { decodeRefreshRequest, encodeRefreshRequest, encodeRefreshResponse } from './refresh.js';
export { decodePasswordModifyRequest, encodePasswordModifyResponse, type PasswordModifyRequest } from './password-modify.js';
export { ResultCode, type ResultCodeValue } from './result-codes.js';
export * from './sync.js';
export { encodeAbandonRequest, encodeExtendedRequest, encodeSearchRequest, encodeSimpleBind, encodeUnbindRequest, Scope, type SearchRequestFields } from './requests.js';
export { decodeIntermediateResponse, decodeResult, decodeSearchEntry, type IntermediateResponse, type LdapResult, type ResultAttribute, type ResultEntry } from './results.js';
