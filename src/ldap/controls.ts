/**
 * Request controls the server understands, and the criticality rule for the rest
 * (RFC 4511 §4.1.11: an unknown critical control fails the operation).
 */
import { AD_NOTIFICATION_OID, BerError, BerReader, integer, MANAGE_DSA_IT_OID, octets, PAGED_RESULTS_OID, PERSISTENT_SEARCH_OID, SYNC_REQUEST_OID, tlv, type RequestControl } from '../protocol/index.js';

/** Controls a search understands: paged results (RFC 2696), content sync (RFC 4533), persistent search, Active Directory's change notification. */
const SEARCH_CONTROLS: readonly string[] = [PAGED_RESULTS_OID, SYNC_REQUEST_OID, PERSISTENT_SEARCH_OID, AD_NOTIFICATION_OID];

/**
 * Controls recognised: those of searches; ManageDsaIT (RFC 3296) on all operations, where it
 * changes nothing (no referrals or aliases here), but browsers send it.
 */
export const SUPPORTED_CONTROLS = [...SEARCH_CONTROLS, MANAGE_DSA_IT_OID] as const;

/** The first critical control this server does not implement for the operation, if any. */
export function unsupportedCritical(controls: readonly RequestControl[], isSearch: boolean): RequestControl | undefined {
  return controls.find((c) => c.critical && !(c.oid === MANAGE_DSA_IT_OID || (isSearch && SEARCH_CONTROLS.includes(c.oid))));
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
