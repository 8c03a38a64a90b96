/**
 * LDAP requests encoded once, before the clock runs: the load workers only wrap a
 * pre-encoded protocol operation in a message with its id, so the client's cost per
 * operation stays small next to the server's (ldapts would spend more CPU than the server
 * under test on this 2-core machine).
 */
import { BerReader, decodeEnvelope, encodeRefreshRequest, encodeSyncRequest, integer, octets, Op, PAGED_RESULTS_OID, REFRESH_OID, SYNC_REQUEST_OID, tlv, type ResponseControl, type SyncRequest } from '../src/protocol/index.js';
import type { Attributes } from './data.js';

/** The filter shapes the workloads use. */
export type Filter =
  | { and: Filter[] }
  | { equal: [attribute: string, value: string] }
  | { greaterOrEqual: [attribute: string, value: string] }
  | { lessOrEqual: [attribute: string, value: string] }
  | { initial: [attribute: string, prefix: string] }
  | { present: string };

/** RFC 4511 §4.5.1.7. */
export function encodeFilter(filter: Filter): Buffer {
  if ('and' in filter) return tlv(0xa0, ...filter.and.map(encodeFilter));
  if ('equal' in filter) return tlv(0xa3, octets(filter.equal[0]), octets(filter.equal[1]));
  if ('greaterOrEqual' in filter) return tlv(0xa5, octets(filter.greaterOrEqual[0]), octets(filter.greaterOrEqual[1]));
  if ('lessOrEqual' in filter) return tlv(0xa6, octets(filter.lessOrEqual[0]), octets(filter.lessOrEqual[1]));
  if ('present' in filter) return octets(filter.present, 0x87);
  return tlv(0xa4, octets(filter.initial[0]), tlv(0x30, octets(filter.initial[1], 0x80)));
}

/** The string form, for reports and for ldclt. */
export function filterText(filter: Filter): string {
  if ('and' in filter) return `(&${filter.and.map(filterText).join('')})`;
  if ('equal' in filter) return `(${filter.equal[0]}=${filter.equal[1]})`;
  if ('greaterOrEqual' in filter) return `(${filter.greaterOrEqual[0]}>=${filter.greaterOrEqual[1]})`;
  if ('lessOrEqual' in filter) return `(${filter.lessOrEqual[0]}<=${filter.lessOrEqual[1]})`;
  if ('present' in filter) return `(${filter.present}=*)`;
  return `(${filter.initial[0]}=${filter.initial[1]}*)`;
}

export const Scope = { base: 0, one: 1, sub: 2 } as const;

/** SearchRequest; no attributes means all user attributes, as ldclt and most clients ask. */
export function searchOp(base: string, scope: number, filter: Filter, attributes: readonly string[] = []): Buffer {
  return tlv(
    Op.searchRequest,
    octets(base),
    integer(scope, 0x0a),
    integer(0, 0x0a), // derefAliases: never
    integer(0), // sizeLimit: the server's
    integer(0), // timeLimit: the server's
    Buffer.from([0x01, 0x01, 0x00]), // typesOnly: FALSE
    encodeFilter(filter),
    tlv(0x30, ...attributes.map((a) => octets(a))),
  );
}

export function addOp(dn: string, attributes: Attributes): Buffer {
  return tlv(Op.addRequest, octets(dn), tlv(0x30, ...attributes.map(([name, values]) => tlv(0x30, octets(name), tlv(0x31, ...values.map((v) => octets(v)))))));
}

/** ModifyRequest replacing each attribute's values (RFC 4511 §4.6, operation 2). */
export function replaceOp(dn: string, attributes: Attributes): Buffer {
  return tlv(Op.modifyRequest, octets(dn), tlv(0x30, ...attributes.map(([name, values]) => tlv(0x30, integer(2, 0x0a), tlv(0x30, octets(name), tlv(0x31, ...values.map((v) => octets(v))))))));
}

/** The RFC 4533 Sync Request control, encoded by the codec the server and client use (src/protocol/sync.ts). */
export function syncControl(request: SyncRequest): ResponseControl {
  return { oid: SYNC_REQUEST_OID, value: encodeSyncRequest(request) };
}

/** The RFC 2696 paged-results control of a request: page size and the cookie of the previous page (empty: the first). */
export function pagedControl(size: number, cookie: Buffer = Buffer.alloc(0)): ResponseControl {
  return { oid: PAGED_RESULTS_OID, value: tlv(0x30, integer(size), octets(cookie)) };
}

/**
 * The cookie of a paged search's final response (`final`: the whole SearchResultDone PDU):
 * empty when the enumeration is over, undefined when the response has no paged-results control.
 */
export function pagedCookie(final: Buffer): Buffer | undefined {
  const control = decodeEnvelope(final).controls.find((c) => c.oid === PAGED_RESULTS_OID);
  if (!control?.value) return undefined;
  const value = new BerReader(control.value).enter(0x30);
  value.integer(); // the server's estimate of the total: not needed
  return Buffer.from(value.bytes(0x04));
}

export function deleteOp(dn: string): Buffer {
  return octets(dn, Op.delRequest);
}

/** RFC 2589 refresh: requestName [0], requestValue [1]. */
export function refreshOp(dn: string, ttlSeconds: number): Buffer {
  return tlv(Op.extendedRequest, octets(REFRESH_OID, 0x80), octets(encodeRefreshRequest(dn, ttlSeconds), 0x81));
}

/** Simple bind, LDAPv3. */
export function bindOp(dn: string, password: string): Buffer {
  return tlv(Op.bindRequest, integer(3), octets(dn), octets(password, 0x80));
}
