/**
 * A conference's time: the span it holds (for the R*Tree behind time-window searches, filters
 * on either time, clash detection and the time-clustered copy) and when a bounded conference
 * is removed. Pure: read from its derived startTime and stopTime.
 */
import { generalizedTimeSeconds, parseGeneralizedTime } from '../../sdp/time.js';
import { OPEN_END, type Span } from '../../store/index.js';

/**
 * When a bounded conference is to be removed (ms): its SDP stop time plus `graceSeconds`;
 * null for an unbounded one or an entry that is no conference.
 */
export function endsAtOf(attributes: Readonly<Record<string, readonly string[]>>, graceSeconds: number): number | null {
  const stop = attributes.stoptime?.[0];
  if (stop === undefined || !attributes.objectclass?.some((c) => c.toLowerCase() === 'rtconference')) return null;
  const date = parseGeneralizedTime(stop);
  return date ? date.getTime() + graceSeconds * 1000 : null;
}

/**
 * The time span a conference holds: from its startTime to its stopTime, each end open when
 * that time is missing (a permanent session, a blob without times, holds all time). An open
 * end is how the span table tells a missing time. Entries without a conference blob have none.
 */
export function spanOf(attributes: Readonly<Record<string, readonly string[]>>): Span | undefined {
  if (!attributes.conferenceblob?.length) return undefined;
  const seconds = (key: 'starttime' | 'stoptime'): number | undefined => {
    const text = attributes[key]?.[0];
    return text === undefined ? undefined : generalizedTimeSeconds(text);
  };
  const start = seconds('starttime');
  const stop = seconds('stoptime');
  return [start === undefined ? -OPEN_END : Math.floor(start), stop === undefined ? OPEN_END : Math.ceil(stop)];
}
