/**
 * Advertising scope: how far a conference is announced, TAPI's RND_ADVERTISING_SCOPE,
 * expressed in SDP by the multicast TTL (IPv4) or the scope of an IPv6 multicast address.
 */

/** TAPI's four advertising scopes. */
export type AdvertisingScope = 'local' | 'site' | 'region' | 'world';

/** The scopes from narrowest to widest. */
export const ADVERTISING_SCOPES: readonly AdvertisingScope[] = ['local', 'site', 'region', 'world'];

/** The TTL each scope is written with (the SDP draft mapping TAPI documents). */
export const SCOPE_TTL: Readonly<Record<AdvertisingScope, number>> = { local: 1, site: 15, region: 63, world: 127 };

/** TAPI's numeric RND_ADVERTISING_SCOPE values (RAS_LOCAL = 1 ... RAS_WORLD = 4). */
export const SCOPE_VALUE: Readonly<Record<AdvertisingScope, number>> = { local: 1, site: 2, region: 3, world: 4 };

/** The scope for a numeric RND_ADVERTISING_SCOPE value, or undefined when out of range. */
export function scopeFromValue(value: number): AdvertisingScope | undefined {
  return ADVERTISING_SCOPES[value - 1];
}

/**
 * The scope a multicast TTL reaches. TTLs between the canonical ones map to the scope whose
 * threshold they cross, as mrouted's TTL thresholds did: 0–1 local, 2–15 site, 16–63
 * region, 64 and above world.
 */
export function scopeFromTtl(ttl: number): AdvertisingScope {
  if (ttl <= 1) return 'local';
  if (ttl <= 15) return 'site';
  if (ttl <= 63) return 'region';
  return 'world';
}

/**
 * The scope of an IPv6 multicast address from its scope field (RFC 4291 §2.7, RFC 7346):
 * interface- and link-local → local; realm-, admin- and site-local → site;
 * organization-local and the unassigned scopes below global → region; global → world.
 */
export function scopeFromIPv6(address: string): AdvertisingScope {
  const nibble = Number.parseInt(address.slice(3, 4), 16);
  if (nibble <= 2) return 'local';
  if (nibble <= 7) return 'site';
  if (nibble <= 0xd) return 'region';
  return 'world';
}

/** The wider of two scopes. */
export function widerScope(a: AdvertisingScope | undefined, b: AdvertisingScope): AdvertisingScope {
  return a === undefined || ADVERTISING_SCOPES.indexOf(b) > ADVERTISING_SCOPES.indexOf(a) ? b : a;
}
