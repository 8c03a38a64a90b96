/**
 * Who holds multicast addresses besides the conferences, as clash detection (clashes.ts) asks
 * it: the MADCAP allocator's leases, lent to the directory through its options.
 */

/** A lease held outside the directory, as clash detection sees it. */
export interface MulticastLeaseHolder {
  readonly leaseId: string;
  readonly first: string;
  readonly last: string;
  /** ms since the Unix epoch. */
  readonly start: number;
  readonly end: number;
}

/** Who holds multicast addresses besides conferences: the allocator, through the server. */
export interface MulticastLeaseLookup {
  /** Whether any lease may be held (false: {@link holders} finds none, whatever it is asked). */
  any(): boolean;
  /** Leases holding any of `count` addresses from `address` during [start, end). */
  holders(address: string, count: number, window: { start: number; end: number }): readonly MulticastLeaseHolder[];
}
