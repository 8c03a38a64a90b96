/**
 * Conference blob controls: the SDP object model, strict and lenient parsing with every
 * problem reported, a writer that never emits invalid SDP, time conversions and the
 * derived view the directory indexes.
 *
 * @packageDocumentation
 */
export type * from './model.js';
export { type SdpProblem, type SdpProblemCode, type SdpSeverity, SdpError, formatProblem } from './problems.js';
export { parseSdp, parseSdpStrict, type ParseMode, type ParseOptions, type SdpParseResult } from './parse.js';
export { writeSdp, formatSdp, checkSdp } from './write.js';
export { isMulticast, isIPv4Multicast, isIPv6Multicast, isToken } from './fields.js';
export {
  NTP_UNIX_OFFSET,
  ntpToDate,
  dateToNtp,
  oleDateToDate,
  dateToOleDate,
  toGeneralizedTime,
  parseGeneralizedTime,
  formatTypedTime,
  typedTime,
} from './time.js';
export { nextOccurrence, repeatSeries, sessionSpan, type Occurrence, type RepeatSeries, type SessionSpan } from './schedule.js';
export {
  type AdvertisingScope,
  ADVERTISING_SCOPES,
  SCOPE_TTL,
  SCOPE_VALUE,
  scopeFromTtl,
  scopeFromValue,
  scopeFromIPv6,
} from './scope.js';
export { summarize, type ConferenceSummary, type MulticastGroup } from './summary.js';
export { mediaFormats, type MediaFormat } from './formats.js';
export {
  ConferenceBlob,
  conferenceDescription,
  multicastConnection,
  DEFAULT_CONFERENCE_MS,
  type ConferenceInit,
  type MediaInit,
} from './blob.js';
