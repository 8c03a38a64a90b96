/**
 * The values of the RFC 2589 Refresh extended operation (§4.1, §4.2), read and written as
 * bytes: ldapjs treats them as UTF-8 text and corrupts them.
 */
import { BerError, BerReader, integer, octets, tlv } from './ber.js';

/** `SEQUENCE { entryName [0] LDAPDN, requestTtl [1] INTEGER }`: the client's request. */
export function encodeRefreshRequest(dn: string, ttl: number): Buffer {
  return tlv(0x30, octets(dn, 0x80), integer(ttl, 0x81));
}

/** Reads a refresh request's value (a server's side). */
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

/** `SEQUENCE { responseTtl [1] INTEGER }`: the server's answer, with the TTL granted. */
export function encodeRefreshResponse(ttl: number): Buffer {
  return tlv(0x30, integer(ttl, 0x81));
}
