/**
 * Allocation policy, pure: which time window a request is granted, and the range arithmetic
 * the free list needs. No I/O; the allocator applies these to the store.
 */

/** Limits the server puts on leases. Durations in ms. */
export interface LeaseLimits {
  /** Lease length when the client names none (RFC 2730 lets the server choose). */
  readonly defaultDuration: number;
  /** Longest lease granted; longer requests are shortened. */
  readonly maximumDuration: number;
  /** How far ahead of now a lease may start. */
  readonly maximumAdvance: number;
  /** Most addresses one lease may hold (bounds the interval queries of the store). */
  readonly maximumAddresses: number;
}

/** Defaults: one hour by default, conferences up to 31 days, booked up to a year ahead. */
export const DEFAULT_LEASE_LIMITS: LeaseLimits = {
  defaultDuration: 60 * 60 * 1000,
  maximumDuration: 31 * 24 * 60 * 60 * 1000,
  maximumAdvance: 366 * 24 * 60 * 60 * 1000,
  maximumAddresses: 256,
};

/** What a client asks for, in time. All ms; absent means "the server decides". */
export interface TimeRequest {
  start?: number;
  /** Latest acceptable start (RFC 2730 Maximum Start Time). */
  maximumStart?: number;
  duration?: number;
  /** Shortest acceptable lease (RFC 2730 Minimum Lease Time). */
  minimumDuration?: number;
}

/** A half-open window of time [start, end), ms. */
export interface Window {
  start: number;
  end: number;
}

/** A refusal: why nothing was granted. */
export interface Refusal {
  refused: string;
}

/**
 * The window granted for a request at `now`: starts at the requested start (or now, if that
 * is past or absent) and lasts the requested duration, shortened to the maximum. Refused when
 * the shortened lease is below the client's minimum or the start is too far ahead.
 */
export function grantWindow(request: TimeRequest, now: number, limits: LeaseLimits): Window | Refusal {
  const start = Math.max(request.start ?? now, now);
  if (request.maximumStart !== undefined && request.maximumStart < start) return { refused: 'the maximum start time has passed' };
  if (start - now > limits.maximumAdvance) return { refused: `the lease would start more than ${Math.round(limits.maximumAdvance / 86_400_000)} days ahead` };
  const wanted = request.duration ?? limits.defaultDuration;
  if (wanted <= 0) return { refused: 'the lease time must be positive' };
  const duration = Math.min(wanted, limits.maximumDuration);
  if (request.minimumDuration !== undefined && duration < request.minimumDuration) {
    return { refused: `the longest lease granted is ${Math.round(limits.maximumDuration / 1000)} s, below the minimum lease time asked for` };
  }
  return { start, end: start + duration };
}

/** An inclusive run of pool offsets. */
export interface Run {
  lo: number;
  hi: number;
}

/** The parts of `run` that none of `holes` covers, in order. `holes` may overlap and be unsorted. */
export function subtractRuns(run: Run, holes: readonly Run[]): Run[] {
  const sorted = [...holes].sort((a, b) => a.lo - b.lo);
  const out: Run[] = [];
  let next = run.lo;
  for (const h of sorted) {
    if (h.hi < next) continue;
    if (h.lo > run.hi) break;
    if (h.lo > next) out.push({ lo: next, hi: Math.min(h.lo - 1, run.hi) });
    next = Math.max(next, h.hi + 1);
    if (next > run.hi) return out;
  }
  if (next <= run.hi) out.push({ lo: next, hi: run.hi });
  return out;
}

/**
 * The first gap of at least `size` offsets in a pool of `poolSize`, between `taken` runs sorted
 * by `lo` (they may overlap); undefined when there is none. Reads each run once.
 */
export function firstGap(taken: Iterable<Run>, poolSize: number, size: number): Run | undefined {
  let next = 0;
  for (const t of taken) {
    if (t.lo - next >= size) return { lo: next, hi: next + size - 1 };
    next = Math.max(next, t.hi + 1);
  }
  return poolSize - next >= size ? { lo: next, hi: next + size - 1 } : undefined;
}
