/**
 * Request controls the server understands, and the criticality rule for the rest
 * (RFC 4511 §4.1.11: an unknown critical control fails the operation).
 */
import { BerError, BerReader, integer, octets, tlv } from './ber.js';
import type { RequestControl } from './protocol.js';

/** Simple paged results (RFC 2696). */
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
/** ManageDsaIT (RFC 3296): no referrals or aliases here, so it changes nothing; browsers send it. */
export const MANAGE_DSA_IT_OID = '2.16.840.1.113730.3.4.2';

/** Controls recognised, per operation tag (all operations for ManageDsaIT). */
export const SUPPORTED_CONTROLS = [PAGED_RESULTS_OID, MANAGE_DSA_IT_OID] as const;

/** The first critical control this server does not implement for the operation, if any. */
export function unsupportedCritical(controls: readonly RequestControl[], isSearch: boolean): RequestControl | undefined {
  return controls.find((c) => c.critical && !(c.oid === MANAGE_DSA_IT_OID || (isSearch && c.oid === PAGED_RESULTS_OID)));
}

/** A paged-results request. */
export interface PagedRequest {
  size: number;
  cookie: Buffer;
  critical: boolean;
}

/** Reads the paged-results control of a request, if present. */
export function pagedRequest(controls: readonly RequestControl[]): PagedRequest | undefined {
  const control = controls.find((c) => c.oid === PAGED_RESULTS_OID);
  if (!control) return undefined;
  if (!control.value) throw new BerError('paged results control without a value');
  const r = new BerReader(control.value).enter(0x30);
  const size = r.integer();
  const cookie = Buffer.from(r.bytes(0x04));
  return { size, cookie, critical: control.critical };
}

/** The paged-results response control value. */
export function pagedResponseValue(cookie: Buffer): Buffer {
  return tlv(0x30, integer(0), octets(cookie));
}
