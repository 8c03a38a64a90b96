/**
 * Multicast scopes: the address ranges the allocator hands addresses out of, each with its
 * Scope ID, TTL and description (RFC 2730 §2.7), from configuration or the defaults, and the
 * MADCAP Server Multicast Address of each (§2.10).
 *
 * What may be allocated in a scope (its pool) follows the address architecture:
 * - IPv4 administratively scoped ranges (239.0.0.0/8, RFC 2365): never the top 256 addresses,
 *   which §9 of RFC 2365 reserves for relative assignments (SAP at .255, MADCAP at .254, ...).
 * - IPv6 (RFC 4291 §2.7, RFC 3307 §4): transient groups (flag T = 1) whose 32-bit group ID is
 *   in 0x80000000–0xFFFFFFFF, the range RFC 3307 gives to dynamic allocation servers.
 */
import { formatAddress, parseAddress, isMulticastValue, ADDRESS_BITS, type Family } from './address.js';

/** A scope as the server configures it. Addresses are numbers; {@link MulticastScope.id} is the text. */
export interface MulticastScope {
  /** Scope ID: the lowest address of the scope's range, canonical text (RFC 2730 §2.7). */
  readonly id: string;
  readonly family: Family;
  /** First and last address of the scope's range (what the Multicast Scope List reports). */
  readonly first: bigint;
  readonly last: bigint;
  /** Maximum TTL (IPv4) or hop limit (IPv6) for groups in the scope. */
  readonly ttl: number;
  /** Human-readable name, sent as the scope's zone name. */
  readonly description: string;
  /** The addresses that may be handed out, inclusive. */
  readonly pool: { readonly lo: bigint; readonly hi: bigint };
}

/** A configuration mistake, with a message naming the scope. */
export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

/** How many addresses of a pool (fits a number: pools are at most 2^32 addresses). */
export const poolSize = (scope: MulticastScope): number => Number(scope.pool.hi - scope.pool.lo + 1n);

/** The address of a pool offset, as text. */
export const addressAt = (scope: MulticastScope, offset: number): string => formatAddress(scope.family, scope.pool.lo + BigInt(offset));

/** The pool offset of an address, or undefined when the pool does not contain it. */
export function poolOffset(scope: MulticastScope, family: Family, value: bigint): number | undefined {
  if (family !== scope.family || value < scope.pool.lo || value > scope.pool.hi) return undefined;
  return Number(value - scope.pool.lo);
}

const ADMIN_SCOPED_V4 = { first: 0xef000000n, last: 0xefffffffn };
/** Relative assignments at the top of an IPv4 admin scope (RFC 2365 §9). */
const RELATIVE_V4 = 256n;
const GROUP_ID_BITS = 32n;
/** RFC 3307 §4: group IDs 0x80000000–0xFFFFFFFF are for dynamic allocation. */
const DYNAMIC_GROUP_IDS = { lo: 0x80000000n, hi: 0xffffffffn };

/** The MADCAP relative assignment among those addresses (RFC 2365 §9: 0 is SAP, 1 is MADCAP). */
const MADCAP_RELATIVE_OFFSET = 1n;

/**
 * The Local Scope's MADCAP Server Multicast Address (RFC 2730 §2.10), the group a client
 * multicasts DISCOVER to when it knows no other scope (§2.9).
 */
export const LOCAL_SCOPE_SERVER_ADDRESS = '239.255.255.254';

/**
 * The MADCAP Server Multicast Address of a scope (RFC 2730 §2.10): in an IPv4 administratively
 * scoped range, the relative assignment 1 of RFC 2365 §9, the scope's last address minus one
 * (239.255.255.254 in the Local Scope). Undefined for other ranges, which have no relative
 * assignments, and for IPv6 scopes, which this server does not serve by multicast.
 */
export function scopeServerAddress(scope: Pick<MulticastScope, 'family' | 'first' | 'last'>): string | undefined {
  if (scope.family !== 'ipv4' || scope.first < ADMIN_SCOPED_V4.first || scope.last > ADMIN_SCOPED_V4.last) return undefined;
  return formatAddress('ipv4', scope.last - MADCAP_RELATIVE_OFFSET);
}

/**
 * The groups an IPv4 MADCAP server joins: the Local Scope's server address, where clients look
 * first, and that of each IPv4 admin scope it serves, without repeats.
 */
export function serverMulticastAddresses(scopes: readonly MulticastScope[]): string[] {
  return [...new Set([LOCAL_SCOPE_SERVER_ADDRESS, ...scopes.flatMap((s) => scopeServerAddress(s) ?? [])])];
}

/** Reads `A.B.C.D/len`, `ffXY::/len` or `FIRST-LAST`. */
function parseRange(text: string): { family: Family; first: bigint; last: bigint; prefix?: number } {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const base = parseAddress(text.slice(0, slash));
    const lengthText = text.slice(slash + 1);
    if (!base || !/^\d{1,3}$/.test(lengthText)) throw new ScopeError(`'${text}' is not an address range (A.B.C.D/LEN, FFXY::/LEN or FIRST-LAST)`);
    const bits = BigInt(ADDRESS_BITS[base.family]);
    const length = BigInt(lengthText);
    if (length > bits) throw new ScopeError(`'${text}': a prefix length is at most ${bits}`);
    const host = (1n << (bits - length)) - 1n;
    if ((base.value & host) !== 0n) throw new ScopeError(`'${text}': the address has bits set beyond the prefix length`);
    return { family: base.family, first: base.value, last: base.value | host, prefix: Number(length) };
  }
  const [a, b, ...rest] = text.split('-');
  const first = a === undefined ? undefined : parseAddress(a);
  const last = b === undefined ? undefined : parseAddress(b);
  if (!first || !last || rest.length > 0) throw new ScopeError(`'${text}' is not an address range (A.B.C.D/LEN, FFXY::/LEN or FIRST-LAST)`);
  if (first.family !== last.family) throw new ScopeError(`'${text}': both ends must be of one address family`);
  if (last.value < first.value) throw new ScopeError(`'${text}': the last address is below the first`);
  return { family: first.family, first: first.value, last: last.value };
}

/**
 * Defines a scope from its range, TTL and description, deriving its pool.
 *
 * @throws {@link ScopeError} when the range is not multicast, leaves nothing to allocate, or
 *   (IPv6) is not a transient prefix of at most 96 bits.
 */
export function defineScope(range: string, ttl: number, description: string): MulticastScope {
  const r = parseRange(range);
  if (!isMulticastValue(r.family, r.first) || !isMulticastValue(r.family, r.last)) throw new ScopeError(`${range} is not a multicast range`);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new ScopeError(`${range}: the TTL must be a whole number from 1 to 255, not ${ttl}`);
  if (description.trim() === '') throw new ScopeError(`${range}: the scope needs a description`);
  let pool: { lo: bigint; hi: bigint };
  if (r.family === 'ipv4') {
    const adminScoped = r.first >= ADMIN_SCOPED_V4.first && r.last <= ADMIN_SCOPED_V4.last;
    if (adminScoped && r.last - r.first + 1n <= RELATIVE_V4) {
      throw new ScopeError(`${range}: an administratively scoped IPv4 range needs more than 256 addresses, because its top 256 are reserved for relative assignments (RFC 2365 §9)`);
    }
    pool = { lo: r.first, hi: adminScoped ? r.last - RELATIVE_V4 : r.last };
  } else {
    if (r.prefix === undefined || BigInt(r.prefix) > 128n - GROUP_ID_BITS) {
      throw new ScopeError(`${range}: an IPv6 scope is a prefix of at most 96 bits (FFXY::/16), so that it holds the 32-bit dynamic group IDs of RFC 3307`);
    }
    if (((r.first >> 116n) & 1n) !== 1n) throw new ScopeError(`${range}: dynamically allocated IPv6 groups are transient: the T flag must be set (ff1X::, RFC 4291 §2.7)`);
    pool = { lo: r.first | DYNAMIC_GROUP_IDS.lo, hi: r.first | DYNAMIC_GROUP_IDS.hi };
  }
  return { id: formatAddress(r.family, r.first), family: r.family, first: r.first, last: r.last, ttl, description: description.trim(), pool };
}

/**
 * Reads a `--scope` value: `RANGE,TTL,DESCRIPTION` (the description may contain commas).
 *
 * @example `239.255.0.0/16,16,Local Scope` or `ff15::/16,255,IPv6 site-local`
 * @throws {@link ScopeError}
 */
export function parseScopeSpec(spec: string): MulticastScope {
  const [range, ttl, ...description] = spec.split(',');
  if (range === undefined || ttl === undefined || description.length === 0) throw new ScopeError(`'${spec}' is not RANGE,TTL,DESCRIPTION`);
  if (!/^\d{1,3}$/.test(ttl.trim())) throw new ScopeError(`'${spec}': the TTL must be a whole number from 1 to 255`);
  return defineScope(range.trim(), Number(ttl), description.join(','));
}

/**
 * Checks a scope list: at least one scope, and no two ranges overlap (an address belongs to
 * one scope, so a lease can never be granted twice through two scopes).
 *
 * @throws {@link ScopeError}
 */
export function checkScopes(scopes: readonly MulticastScope[]): void {
  if (scopes.length === 0) throw new ScopeError('no multicast scope is configured');
  for (const [i, a] of scopes.entries()) {
    for (const b of scopes.slice(i + 1)) {
      if (a.family === b.family && a.first <= b.last && b.first <= a.last) throw new ScopeError(`the scopes ${a.id} (${a.description}) and ${b.id} (${b.description}) overlap`);
    }
  }
}

/**
 * The default scopes: IPv4 Local (239.255.0.0/16, TTL 16 as RFC 2730 §2.9 assumes without
 * configuration) and Organization-Local (239.192.0.0/14, RFC 2365 §6.2); IPv6 transient
 * realm-local, admin-local, site-local and organization-local (RFC 7346, RFC 4291), whose
 * scoping is by the address, hence the hop limit of 255 RFC 2730 recommends under admin scoping.
 */
export const DEFAULT_SCOPES: readonly MulticastScope[] = [
  defineScope('239.255.0.0/16', 16, 'Local Scope'),
  defineScope('239.192.0.0/14', 63, 'Organization-Local Scope'),
  defineScope('ff13::/16', 255, 'IPv6 Realm-Local Scope'),
  defineScope('ff14::/16', 255, 'IPv6 Admin-Local Scope'),
  defineScope('ff15::/16', 255, 'IPv6 Site-Local Scope'),
  defineScope('ff18::/16', 255, 'IPv6 Organization-Local Scope'),
];

/** What {@link matchScope} needs of a scope, on either side of the wire. */
export interface ScopeLike {
  /** Scope ID, canonical text. */
  readonly id: string;
  /** Last address, canonical text. */
  readonly last: string;
  readonly description: string;
}

/**
 * Finds the scope a person means: its Scope ID, any address inside it, its description
 * (case-insensitive) or the unique description that starts with the words given
 * (`local` → "Local Scope", `org` → "Organization-Local Scope").
 */
export function matchScope<T extends ScopeLike>(scopes: readonly T[], selector: string): T | undefined {
  const wanted = selector.trim().toLowerCase();
  const address = parseAddress(wanted);
  if (address) {
    const id = formatAddress(address.family, address.value);
    return scopes.find((s) => s.id === id) ?? scopes.find((s) => {
      const first = parseAddress(s.id);
      const last = parseAddress(s.last);
      return first?.family === address.family && last && address.value >= first.value && address.value <= last.value;
    });
  }
  const exact = scopes.find((s) => s.description.toLowerCase() === wanted);
  if (exact) return exact;
  const prefixed = scopes.filter((s) => s.description.toLowerCase().startsWith(wanted));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
