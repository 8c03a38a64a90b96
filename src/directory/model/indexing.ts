/**
 * Which attribute values the store's indexes hold: entry_index (equality, ranges, prefixes)
 * and the span table behind time-window searches. Index rows are written by these rules
 * (operations/write-steps.ts) and the planner (plan.ts) reads them, so the two cannot differ.
 */
import { hasEquality } from './matching.js';
import { STTL_KEY } from './evaluate.js';
import type { AttributeInfo } from '../schema/schema-access.js';

/**
 * Attributes not in entry_index: the blob, too large and opaque; a conference's description,
 * free text that clients search by a word in it (`*word*`), which an equality index cannot
 * answer, and whose index rows, one at a random place per conference, were a quarter of
 * the SQL of every conference add at 1,000,000 entries.
 */
const UNINDEXED = new Set(['conferenceblob', 'generaldescription']);

/**
 * A conference's times, which the span table behind time-window searches holds (its R*Tree
 * answers ranges on either edge): rows of them in entry_index too would cost every add two
 * more random index pages to write, and sync, for nothing.
 */
export const SPAN_EDGES: ReadonlyMap<string, 'start' | 'stop'> = new Map([
  ['starttime', 'start'],
  ['stoptime', 'stop'],
]);

/**
 * Whether entry_index holds this attribute's values. Operational attributes are computed
 * from the entry's row (createTimestamp, structuralObjectClass...), never stored, so the
 * index has none of their values: a filter on them is evaluated, not looked up.
 */
export function isIndexed(attr: AttributeInfo): boolean {
  return hasEquality(attr.rules) && !attr.binary && !attr.operational && !UNINDEXED.has(attr.key) && attr.key !== STTL_KEY && !SPAN_EDGES.has(attr.key);
}
