/**
 * Extended operations: Who am I? (RFC 4532) and the RFC 2589 refresh, with their BER values
 * read and written as bytes (ldapjs treats them as UTF-8 text and corrupts them).
 */
import { BerError, BerReader, integer, tlv } from './ber.js';

/** RFC 4532. */
export const WHOAMI_OID = '1.3.6.1.4.1.4203.1.11.3';
/** RFC 2589 refresh. */
export const REFRESH_OID = '1.3.6.1.4.1.1466.101.119.1';
/** RFC 4511 §4.14 StartTLS (not offered until a certificate is configured). */
export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

/** SEQUENCE { entryName [0] LDAPDN, requestTtl [1] INTEGER }. */
export function decodeRefreshRequest(value: Buffer | undefined): { dn: string; ttl: number } {
  if (!value) throw new BerError('refresh request without a value');
  const r = new BerReader(value).enter(0x30);
  const dn = r.bytes(0x80).toString('utf8');
  const ttlBytes = r.bytes(0x81);
  if (ttlBytes.length === 0 || ttlBytes.length > 6) throw new BerError('requestTtl out of range');
  const ttl = ttlBytes.readIntBE(0, ttlBytes.length);
  if (!r.done) throw new BerError('trailing data in the refresh request');
  return { dn, ttl };
}

/** SEQUENCE { responseTtl [1] INTEGER }. */
export function encodeRefreshResponse(ttl: number): Buffer {
  return tlv(0x30, integer(ttl, 0x81));
}
