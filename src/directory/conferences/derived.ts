/**
 * Conferences: the attributes derived from the conference blob. They are projections of the
 * SDP and are never written directly, so they cannot disagree with it.
 */
import { formatProblem, parseSdp, SCOPE_VALUE, summarize, toGeneralizedTime } from '../../sdp/index.js';
import { OperationError, ResultCode } from '../errors.js';

/**
 * Keys of the attributes derived from `conferenceBlob` (multicastClash from its groups
 * against the other conferences and leases, clashes.ts).
 */
export const DERIVED_KEYS: ReadonlySet<string> = new Set([
  'multicastclash',
  'starttime',
  'stoptime',
  'originator',
  'generaldescription',
  'advertisingscope',
  'isencrypted',
  'url',
]);

/** The blob attribute's key. */
export const BLOB_KEY = 'conferenceblob';

/**
 * Validates a blob strictly and derives the indexed attributes (keys → values).
 *
 * @throws {@link OperationError} invalidAttributeSyntax with every problem the validator found.
 */
export function deriveFromBlob(blob: string): Record<string, string[]> {
  const result = parseSdp(blob, { mode: 'strict' });
  if (!result.valid) {
    throw new OperationError(
      ResultCode.invalidAttributeSyntax,
      `conferenceBlob: invalid SDP: ${result.errors.map(formatProblem).join('; ')}`,
    );
  }
  const s = summarize(result.description);
  const derived: Record<string, string[]> = {
    originator: [s.originator],
    isencrypted: [s.isEncrypted ? '1' : '0'],
  };
  if (s.start) derived.starttime = [toGeneralizedTime(s.start)];
  if (s.stop) derived.stoptime = [toGeneralizedTime(s.stop)];
  if (s.description !== undefined) derived.generaldescription = [s.description];
  if (s.advertisingScope) derived.advertisingscope = [String(SCOPE_VALUE[s.advertisingScope])];
  if (s.url !== undefined) derived.url = [s.url];
  return derived;
}

/** The message for a client that writes a derived attribute itself. */
export function derivedWriteMessage(name: string): string {
  return `${name} is derived from conferenceBlob and cannot be written directly; change the SDP blob instead`;
}
