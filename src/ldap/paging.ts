/**
 * Paged-results cookies (RFC 2696). Stateless: the cookie carries the id of the last entry
 * sent and a digest of the search it belongs to, so the server keeps nothing between pages
 * and a cookie cannot be replayed against a different search.
 */
import { createHash } from 'node:crypto';
import { OperationError } from '../directory/index.js';
import { ResultCode } from '../protocol/index.js';
import type { LdapRequest } from './requests.js';

type SearchRequest = Extract<LdapRequest, { type: 'search' }>;

function digest(request: SearchRequest): Buffer {
  const identity = JSON.stringify([request.base.toLowerCase(), request.scope, request.filter, request.attributes, request.typesOnly]);
  return createHash('sha256').update(identity).digest().subarray(0, 8);
}

/** The cookie for continuing after entry `lastId`. */
export function encodeCookie(lastId: number, request: SearchRequest): Buffer {
  const id = Buffer.alloc(8);
  id.writeBigUInt64BE(BigInt(lastId));
  return Buffer.concat([id, digest(request)]);
}

/** The entry id to continue after; refuses a cookie from another search. */
export function decodeCookie(cookie: Buffer, request: SearchRequest): number {
  if (cookie.length !== 16 || !cookie.subarray(8).equals(digest(request))) {
    throw new OperationError(ResultCode.unwillingToPerform, 'the paged results cookie does not belong to this search; start the search again without a cookie');
  }
  return Number(cookie.readBigUInt64BE(0));
}
