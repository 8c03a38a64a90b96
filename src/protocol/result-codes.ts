/**
 * LDAP result codes (RFC 4511 §4.1.9 and appendix A), those a Rendezvous server sends or a
 * client meets, by name.
 */

/** Result codes by name. */
export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  referral: 10,
  adminLimitExceeded: 11,
  unavailableCriticalExtension: 12,
  confidentialityRequired: 13,
  noSuchAttribute: 16,
  undefinedAttributeType: 17,
  inappropriateMatching: 18,
  constraintViolation: 19,
  attributeOrValueExists: 20,
  invalidAttributeSyntax: 21,
  noSuchObject: 32,
  aliasProblem: 33,
  invalidDNSyntax: 34,
  isLeaf: 35,
  aliasDereferencingProblem: 36,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  loopDetect: 54,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRDN: 67,
  entryAlreadyExists: 68,
  objectClassModsProhibited: 69,
  affectsMultipleDSAs: 71,
  other: 80,
  /** Cancel (RFC 3909 §2): the operation was cancelled; noSuchOperation, tooLate and cannotCancel answer the cancel. */
  canceled: 118,
  noSuchOperation: 119,
  tooLate: 120,
  cannotCancel: 121,
  /** Content synchronisation (RFC 4533 §2.6): the client must refresh (again, from its cookie or from nothing). */
  syncRefreshRequired: 4096,
} as const;

/** One of the {@link ResultCode} values. */
export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];
