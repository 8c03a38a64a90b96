/**
 * Typed refusals of directory operations: an LDAP result code and a message a person
 * understands. src/ldap only encodes them.
 */
import { ResultCode, type ResultCodeValue } from '../protocol/index.js';

// The directory's refusals are spoken in LDAP's result codes; its modules take them from here.
export { ResultCode, type ResultCodeValue };

/**
 * A refused operation. `matchedDN` is the deepest existing entry for noSuchObject. A
 * refusal that is not the request's doing (the storage failed beneath it) carries that
 * failure as its `cause`, which the server logs.
 */
export class OperationError extends Error {
  readonly code: ResultCodeValue;
  readonly matchedDN: string;

  constructor(code: ResultCodeValue, message: string, matchedDN = '', options?: ErrorOptions) {
    super(message, options);
    this.name = 'OperationError';
    this.code = code;
    this.matchedDN = matchedDN;
  }
}
