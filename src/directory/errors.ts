/**
 * Typed refusals of directory operations: an LDAP result code and a message a person
 * understands. src/ldap only encodes them.
 */

/** LDAP result codes (RFC 4511 §4.1.9 and appendix A) that the directory uses. */
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
  invalidDNSyntax: 34,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRDN: 67,
  entryAlreadyExists: 68,
  objectClassModsProhibited: 69,
  other: 80,
} as const;

/** One of the {@link ResultCode} values. */
export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

/**
 * A refused operation. `matchedDN` is the deepest existing entry for noSuchObject. A
 * refusal that is not the request's doing (the storage failed beneath it) carries that
 * failure as its `cause`, which the server logs.
 */
export class DirectoryError extends Error {
  readonly code: ResultCodeValue;
  readonly matchedDN: string;

  constructor(code: ResultCodeValue, message: string, matchedDN = '', options?: ErrorOptions) {
    super(message, options);
    this.name = 'DirectoryError';
    this.code = code;
    this.matchedDN = matchedDN;
  }
}
