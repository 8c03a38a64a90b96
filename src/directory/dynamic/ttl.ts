/**
 * Time-to-live policy for dynamic entries (RFC 2589): bounds, defaults and the TTL granted
 * for a request. Pure: times are passed in.
 */
import { OperationError, ResultCode } from '../errors.js';

/** Bounds and default, in seconds. */
export interface TtlPolicy {
  /** Given to new dynamic entries: 1800 s, what ILS clients refresh to. */
  readonly defaultTtl: number;
  /** Requests below are raised to this. */
  readonly minTtl: number;
  /**
   * Refresh requests above are refused (sizeLimitExceeded, as RFC 2589 says); a modify of
   * entryTTL above is granted this ({@link grantTtl}).
   */
  readonly maxTtl: number;
}

/** RFC 2589's upper bound of a requested TTL: 31557600 s, one year. */
export const RFC2589_MAX_TTL = 31_557_600;

/**
 * Defaults. The minimum of 60 s keeps a misbehaving client from asking for refreshes every
 * second; the maximum of one day (86400 s, slapd's dds default) keeps a forgotten entry
 * from lingering for a year.
 */
export const DEFAULT_TTL_POLICY: TtlPolicy = { defaultTtl: 1800, minTtl: 60, maxTtl: 86_400 };

/** A bounded conference stays an hour after its stop time, for late joiners and for the record. */
export const DEFAULT_CONFERENCE_GRACE = 3600;

/** Seconds left before `expiresAt` (ms), rounded up, never negative. */
export function remainingTtl(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}

/**
 * What to do with a request above the maximum: refuse it (the RFC 2589 refresh operation and
 * the ILS sTTL search, as slapd's dds refuses it), or grant the maximum (a modify of
 * entryTTL, the ILS and Active Directory refresh: it carries no TTL back to tell the client of
 * a refusal, and Phone Dialer's keep-alive asks for 180000 s, [MS-TAIL] §4.6.2, which Active
 * Directory, up to a year, grants).
 */
export type AboveMaximum = 'refuse' | 'grant maximum';

/** Validates a requested TTL and applies the policy; returns seconds. */
export function grantTtl(policy: TtlPolicy, requested: number, above: AboveMaximum = 'refuse'): number {
  if (!Number.isInteger(requested) || requested <= 0 || requested > RFC2589_MAX_TTL) {
    throw new OperationError(ResultCode.protocolError, `entryTTL must be a whole number of seconds from 1 to ${RFC2589_MAX_TTL}`);
  }
  if (requested > policy.maxTtl && above === 'grant maximum') return policy.maxTtl;
  if (requested > policy.maxTtl) {
    throw new OperationError(ResultCode.sizeLimitExceeded, `a TTL of ${requested} s is above this server's maximum of ${policy.maxTtl} s`);
  }
  return Math.max(requested, policy.minTtl);
}
