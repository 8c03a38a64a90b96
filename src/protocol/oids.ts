/**
 * The object identifiers of the LDAP extensions Rendezvous speaks, as servers list them in
 * the root DSE and clients name them in requests.
 */

/** Who am I? extended operation (RFC 4532). */
export const WHOAMI_OID = '1.3.6.1.4.1.4203.1.11.3';
/** Password Modify extended operation (RFC 3062): what ldappasswd sends. */
export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';
/** Refresh extended operation of dynamic entries (RFC 2589 §4). */
export const REFRESH_OID = '1.3.6.1.4.1.1466.101.119.1';
/** StartTLS extended operation (RFC 4511 §4.14). */
export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
/** Unsolicited notice of disconnection (RFC 4511 §4.4.1). */
export const NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036';

/** Simple paged results control (RFC 2696). */
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
/** ManageDsaIT control (RFC 3296). */
export const MANAGE_DSA_IT_OID = '2.16.840.1.113730.3.4.2';

/** Cancel extended operation (RFC 3909). */
export const CANCEL_OID = '1.3.6.1.1.8';

/** Content synchronisation (RFC 4533 §2): the request control, the controls and intermediate response it answers with. */
export const SYNC_REQUEST_OID = '1.3.6.1.4.1.4203.1.9.1.1';
export const SYNC_STATE_OID = '1.3.6.1.4.1.4203.1.9.1.2';
export const SYNC_DONE_OID = '1.3.6.1.4.1.4203.1.9.1.3';
export const SYNC_INFO_OID = '1.3.6.1.4.1.4203.1.9.1.4';

/** Persistent search (draft-ietf-ldapext-psearch-03) and its Entry Change Notification control. */
export const PERSISTENT_SEARCH_OID = '2.16.840.1.113730.3.4.3';
export const ENTRY_CHANGE_NOTIFICATION_OID = '2.16.840.1.113730.3.4.7';

/**
 * Active Directory's change notification (LDAP_SERVER_NOTIFICATION_OID, [MS-ADTS]
 * 3.1.1.3.4.1.9): a search that answers nothing at first, then the entry each time one in
 * scope changes. The control has no value.
 */
export const AD_NOTIFICATION_OID = '1.2.840.113556.1.4.528';

/** All operational attributes (`+`) feature (RFC 3673). */
export const ALL_OPERATIONAL_ATTRIBUTES_OID = '1.3.6.1.4.1.4203.1.5.1';
