/**
 * How a conference blob names the lease its multicast group comes from, without giving the
 * lease away: `a=x-rendezvous-lease:TAG`, TAG the first 16 hex digits of the SHA-256 of the
 * Lease Identifier. Holding the identifier is what renews or releases a lease (RFC 2730 §4:
 * keep it confidential); the tag only lets clash detection see that the conference and the
 * lease are one booking.
 */
import { createHash } from 'node:crypto';

/** The SDP attribute name of the tag. */
export const LEASE_TAG_ATTRIBUTE = 'x-rendezvous-lease';

/** The tag of a Lease Identifier given as hex. */
export function leaseTag(leaseIdHex: string): string {
  return createHash('sha256').update(Buffer.from(leaseIdHex, 'hex')).digest('hex').slice(0, 16);
}
