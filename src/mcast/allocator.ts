/**
 * The allocator: grants, renews, releases and expires leases of multicast addresses in the
 * configured scopes, so that no address is leased twice for overlapping times.
 *
 * Finding addresses does not walk the pool: the store keeps the runs of offsets no lease holds
 * (`mcast_free`) with an index on their size, so a request takes the smallest run that fits in
 * one indexed lookup, however full the scope. Only when no address is free at every time does
 * it look for addresses whose leases lie outside the requested window (a lease for next week
 * may reuse an address leased today), walking the leases of that window in address order.
 */
import type { SqliteDatabase } from '../store/index.js';
import { parseAddress } from './address.js';
import { LeaseStore, type LeaseRow } from './leases.js';
import { DEFAULT_LEASE_LIMITS, firstGap, grantWindow, subtractRuns, type LeaseLimits, type Run, type TimeRequest, type Window } from './policy.js';
import { addressAt, checkScopes, poolOffset, poolSize, type MulticastScope } from './scopes.js';

/** A lease as the allocator reports it. Times are ms since the Unix epoch. */
export interface Lease {
  /** The MADCAP Lease Identifier, lower-case hex. */
  readonly leaseId: string;
  readonly scope: MulticastScope;
  /** First and last of the consecutive addresses leased, canonical text. */
  readonly first: string;
  readonly last: string;
  readonly count: number;
  readonly start: number;
  readonly end: number;
  /** Who asked (address:port), or '' . */
  readonly client: string;
}

/** Every address of a lease, in order. */
export const leaseAddresses = (lease: Lease): string[] => {
  const first = poolOffset(lease.scope, lease.scope.family, parseAddress(lease.first)!.value)!;
  return Array.from({ length: lease.count }, (_, i) => addressAt(lease.scope, first + i));
};

/** A request for addresses. */
export interface AllocationRequest extends TimeRequest {
  leaseId: string;
  /** Scope ID of the scope to allocate in. */
  scopeId: string;
  /** Fewest acceptable and wanted number of addresses (default 1 and `minimum`). */
  minimum?: number;
  desired?: number;
  client?: string;
}

/** Why the allocator said no. */
export type AllocationFailure =
  | 'unknownScope' // no such scope
  | 'leaseExists' // the lease identifier already holds a lease
  | 'unknownLease' // no lease with that identifier
  | 'refused' // the time or count asked for is outside policy
  | 'unavailable'; // no addresses for that window

export type AllocationResult = { ok: true; lease: Lease } | { ok: false; failure: AllocationFailure; message: string };

/** How the allocator runs. */
export interface AllocatorOptions {
  limits?: LeaseLimits;
  /** The clock (ms), for tests. */
  now?: () => number;
}

/** Thrown to roll a dry run back. */
const DRY_RUN = Symbol('dry run');

const fail = (failure: AllocationFailure, message: string): AllocationResult => ({ ok: false, failure, message });

/** The allocator over a database that has schema/003-multicast.sql. */
export class Allocator {
  readonly scopes: readonly MulticastScope[];
  readonly limits: LeaseLimits;
  readonly #store: LeaseStore;
  readonly #now: () => number;
  readonly #byId: ReadonlyMap<string, MulticastScope>;

  /** @throws {@link ScopeError} when the scopes overlap or there are none. */
  constructor(db: SqliteDatabase, scopes: readonly MulticastScope[], options: AllocatorOptions = {}) {
    checkScopes(scopes);
    this.scopes = scopes;
    this.limits = options.limits ?? DEFAULT_LEASE_LIMITS;
    this.#now = options.now ?? Date.now;
    this.#byId = new Map(scopes.map((s) => [s.id, s]));
    this.#store = new LeaseStore(db, this.limits.maximumAddresses);
    this.#store.transaction(() => {
      for (const scope of scopes) {
        if (this.#store.poolSize(scope.id) !== poolSize(scope)) this.#store.rebuildFree(scope.id, poolSize(scope));
      }
    });
  }

  /** The scope with this Scope ID. */
  scope(id: string): MulticastScope | undefined {
    return this.#byId.get(id);
  }

  /** Grants a new lease. */
  request(request: AllocationRequest): AllocationResult {
    return this.#store.transaction(() => {
      this.#expire();
      return this.#allocate(request);
    });
  }

  /** What {@link request} would grant now, without granting it (a MADCAP OFFER). */
  offer(request: AllocationRequest): AllocationResult {
    let result: AllocationResult | undefined;
    try {
      this.#store.transaction(() => {
        this.#expire();
        result = this.#allocate(request);
        throw DRY_RUN;
      });
    } catch (error) {
      if (error !== DRY_RUN) throw error;
    }
    return result!;
  }

  /**
   * Moves a lease to a new window. What the client leaves out takes RFC 2730 §2.2.7's
   * defaults: no start time means as soon as possible (now), no lease time the maximum
   * available (the longest lease granted, cut short where another lease of one of its
   * addresses begins). Refused when another lease holds one of its addresses at the new start,
   * or during the lease time asked for.
   */
  renew(leaseId: string, time: TimeRequest): AllocationResult {
    return this.#store.transaction(() => {
      this.#expire();
      const row = this.#store.byLeaseId(leaseId);
      const lease = row && this.#toLease(row);
      if (!row || !lease) return fail('unknownLease', `no lease has the identifier ${leaseId}`);
      const now = this.#now();
      const granted = grantWindow({ ...time, start: time.start ?? now, duration: time.duration ?? this.limits.maximumDuration }, now, this.limits);
      if ('refused' in granted) return fail('refused', granted.refused);
      let window: Window = granted;
      let others = this.#store.holding(row.scope, row, window).filter((l) => l.id !== row.id);
      if (others.length > 0 && time.duration === undefined) {
        // The maximum available ends where the first other lease of these addresses begins.
        window = { start: window.start, end: Math.min(...others.map((l) => l.start)) };
        if (time.minimumDuration !== undefined && window.end - window.start < time.minimumDuration) {
          return fail('unavailable', `${lease.first} is leased to someone else before the minimum lease time asked for is over`);
        }
        others = window.end > window.start ? [] : others;
      }
      if (others.length > 0) return fail('unavailable', `${lease.first} is leased to someone else during part of the new window`);
      this.#store.setWindow(row.id, window.start, window.end);
      return { ok: true, lease: { ...lease, start: window.start, end: window.end } };
    });
  }

  /** Ends a lease now; returns it, or undefined when there was none. */
  release(leaseId: string): Lease | undefined {
    return this.#store.transaction(() => {
      this.#expire();
      const row = this.#store.byLeaseId(leaseId);
      if (!row) return undefined;
      this.#drop(row);
      return this.#toLease(row);
    });
  }

  /** The lease with this identifier, if it has not ended. */
  lease(leaseId: string): Lease | undefined {
    const row = this.#store.byLeaseId(leaseId);
    return row && row.end > this.#now() ? this.#toLease(row) : undefined;
  }

  /** Every lease that has not ended, by scope and address. */
  leases(): Lease[] {
    const now = this.#now();
    return this.#store
      .all()
      .filter((r) => r.end > now)
      .flatMap((r) => this.#toLease(r) ?? []);
  }

  /** Deletes the leases that have ended; returns them. */
  expire(): Lease[] {
    return this.#store.transaction(() => this.#expire());
  }

  /** Whether any lease may be held: none stored (the usual directory without MADCAP clients) answers every holder question with none. */
  any(): boolean {
    return this.#store.any();
  }

  /** The leases holding any of `count` addresses from `address` during `window`. */
  holders(address: string, count: number, window: Window): Lease[] {
    const a = parseAddress(address);
    if (!a) return [];
    const out: Lease[] = [];
    for (const scope of this.scopes) {
      const lo = a.value < scope.pool.lo ? scope.pool.lo : a.value;
      const hi = a.value + BigInt(count - 1) > scope.pool.hi ? scope.pool.hi : a.value + BigInt(count - 1);
      const from = poolOffset(scope, a.family, lo);
      const to = poolOffset(scope, a.family, hi);
      if (from === undefined || to === undefined || to < from) continue;
      for (const row of this.#store.holding(scope.id, { lo: from, hi: to }, window)) out.push(this.#toLease(row)!);
    }
    return out;
  }

  /** How many addresses of a scope no lease holds at any time. */
  freeCount(scopeId: string): number {
    return this.#store.freeCount(scopeId);
  }

  /** Query plans of the statements every allocation runs (tests prove they use indexes). */
  explain(): string[] {
    return this.#store.explainAllocation();
  }

  #allocate(request: AllocationRequest): AllocationResult {
    const scope = this.#byId.get(request.scopeId);
    if (!scope) return fail('unknownScope', `no scope has the Scope ID ${request.scopeId}`);
    if (this.#store.byLeaseId(request.leaseId)) return fail('leaseExists', `the lease identifier ${request.leaseId} already holds a lease; renew or release it`);
    const window = grantWindow(request, this.#now(), this.limits);
    if ('refused' in window) return fail('refused', window.refused);
    const minimum = request.minimum ?? 1;
    const desired = Math.max(request.desired ?? minimum, minimum);
    if (minimum > this.limits.maximumAddresses) return fail('refused', `a lease holds at most ${this.limits.maximumAddresses} addresses`);
    const sizes = [...new Set([Math.min(desired, this.limits.maximumAddresses), minimum])];
    for (const size of sizes) {
      const run = this.#find(scope, size, window);
      if (!run) continue;
      this.#store.takeFree(scope.id, run);
      const row = this.#store.insert({ leaseId: request.leaseId, scope: scope.id, lo: run.lo, hi: run.hi, start: window.start, end: window.end, created: this.#now(), client: request.client ?? '' });
      return { ok: true, lease: this.#toLease(row)! };
    }
    return fail('unavailable', `no ${minimum === 1 ? 'address' : `${minimum} consecutive addresses`} free in ${scope.description} (${scope.id}) for that time`);
  }

  /** `size` consecutive offsets free during `window`: from the free list, else between leases. */
  #find(scope: MulticastScope, size: number, window: Window): Run | undefined {
    const free = this.#store.bestFit(scope.id, size);
    if (free) return { lo: free.lo, hi: free.lo + size - 1 };
    return firstGap(this.#store.during(scope.id, window), poolSize(scope), size);
  }

  #expire(): Lease[] {
    const ended = this.#store.ended(this.#now());
    for (const row of ended) this.#drop(row);
    return ended.flatMap((r) => this.#toLease(r) ?? []);
  }

  /** Deletes a lease and frees the addresses no other lease holds at any time. */
  #drop(row: LeaseRow): void {
    this.#store.delete(row.id);
    const scope = this.#byId.get(row.scope);
    if (!scope) return;
    const others = this.#store.holding(row.scope, row);
    for (const run of subtractRuns({ lo: row.lo, hi: Math.min(row.hi, poolSize(scope) - 1) }, others)) this.#store.giveFree(row.scope, run);
  }

  #toLease(row: LeaseRow): Lease | undefined {
    const scope = this.#byId.get(row.scope);
    if (!scope || row.hi >= poolSize(scope)) return undefined;
    return { leaseId: row.leaseId, scope, first: addressAt(scope, row.lo), last: addressAt(scope, row.hi), count: row.hi - row.lo + 1, start: row.start, end: row.end, client: row.client };
  }
}
