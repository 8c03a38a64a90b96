/**
 * Shared steps of the write operations: finding live entries, completing an entry's derived
 * attributes, and the index rows the store keeps.
 */
import { isLiveAt, OPEN_END, type EntryHead, type IndexRow, type Span, type StoredEntry } from '../store/index.js';
import { generalizedTimeSeconds, parseGeneralizedTime } from '../sdp/time.js';
import { BLOB_KEY, DERIVED_KEYS, deriveFromBlob } from './conference.js';
import type { DirectoryContext } from './context.js';
import { checkEntry } from './entry-check.js';
import { DirectoryError, ResultCode } from './errors.js';
import { isIndexed } from './evaluate.js';
import { formatDn } from './dn.js';
import type { Name } from './names.js';
import { ALL_USER_ATTRIBUTES, selectAttributes } from './entry-view.js';

/** Whether an entry is visible now (not expired). */
export const isLive = (ctx: DirectoryContext, entry: Pick<StoredEntry, 'expiresAt' | 'endsAt'>): boolean => isLiveAt(entry, ctx.now());

/** When a bounded conference is to be removed: its SDP stop time plus the grace period. */
export function endsAtOf(ctx: DirectoryContext, attributes: Readonly<Record<string, readonly string[]>>): number | null {
  const stop = attributes.stoptime?.[0];
  if (stop === undefined || !attributes.objectclass?.some((c) => c.toLowerCase() === 'rtconference')) return null;
  const date = parseGeneralizedTime(stop);
  return date ? date.getTime() + ctx.options.conferenceGrace * 1000 : null;
}

/** The live entry at `name`, or undefined. */
export function findLive(ctx: DirectoryContext, name: Name): StoredEntry | undefined {
  const entry = ctx.entries.get(name.ndn);
  return entry && isLive(ctx, entry) ? entry : undefined;
}

/** The deepest existing ancestor's DN, for noSuchObject's matchedDN. */
export function matchedDn(ctx: DirectoryContext, name: Name): string {
  for (let i = 1; i < name.dn.length; i += 1) {
    const ancestor = ctx.names.parse(formatDn(name.dn.slice(i)));
    const entry = findLive(ctx, ancestor);
    if (entry) return entry.dn;
  }
  return '';
}

/** The live entry at `name`, or noSuchObject with the matched DN. */
export function requireLive(ctx: DirectoryContext, name: Name, dnText: string): StoredEntry {
  return live(ctx, name, dnText, ctx.entries.get(name.ndn));
}

/** The head of the live entry at `name` (its attributes not read: {@link EntryHead}), or noSuchObject. */
export function requireLiveHead(ctx: DirectoryContext, name: Name, dnText: string): EntryHead {
  return live(ctx, name, dnText, ctx.entries.head(name.ndn));
}

function live<E extends EntryHead>(ctx: DirectoryContext, name: Name, dnText: string, entry: E | undefined): E {
  if (entry && isLive(ctx, entry)) return entry;
  throw new DirectoryError(ResultCode.noSuchObject, `no such entry: ${dnText}`, matchedDn(ctx, name));
}

/**
 * Recomputes the attributes derived from the conference blob (or removes them when there
 * is none) and checks the entry against its classes.
 */
export function completeEntry(ctx: DirectoryContext, attributes: Record<string, string[]>): void {
  for (const key of DERIVED_KEYS) delete attributes[key];
  const blob = attributes[BLOB_KEY]?.[0];
  if (blob !== undefined) Object.assign(attributes, deriveFromBlob(blob));
  checkEntry(ctx, attributes);
  const endsAt = endsAtOf(ctx, attributes);
  if (endsAt !== null && endsAt <= ctx.now()) {
    throw new DirectoryError(
      ResultCode.constraintViolation,
      `the conference ended at ${attributes.stoptime?.[0]} (SDP stop time), more than the grace period of ${ctx.options.conferenceGrace} s ago; give it times in the future`,
    );
  }
}

export { OPEN_END };

/**
 * The time span a conference holds, for the R*Tree behind time-window searches, filters on
 * either time, and clash detection: from its startTime to its stopTime, each end open when
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

/**
 * What a search for all user attributes returns of these attributes, encoded to store with
 * the entry; null when that is not all they say. Searches evaluate filters on the encoding,
 * so it must hold every stored value: a result leaves out empty values (an IA5 string may
 * be empty) and operational attributes, which `(attr=*)` or `(attr=)` would still match.
 * For those entries the store encodes every value itself, and searches read their attributes.
 */
export function encodedOf(ctx: DirectoryContext, attributes: Readonly<Record<string, readonly string[]>>): Buffer | null {
  const view = selectAttributes(ctx, '', attributes, ALL_USER_ATTRIBUTES, false).attributes;
  let stored = 0;
  for (const values of Object.values(attributes)) stored += values.length;
  let kept = 0;
  for (const a of view) kept += a.values.length;
  return kept === stored ? ctx.attributeCodec.encode(view) : null;
}

/** The index rows of an entry's attributes. */
export function indexRows(ctx: DirectoryContext, attributes: Readonly<Record<string, readonly string[]>>): IndexRow[] {
  const rows: IndexRow[] = [];
  for (const [key, values] of Object.entries(attributes)) {
    const attr = ctx.schema.attribute(key);
    if (!attr || !isIndexed(attr)) continue;
    const seen = new Set<string>();
    for (const v of values) {
      const n = ctx.evaluator.assertion(attr, v);
      if (n === undefined || seen.has(n)) continue;
      seen.add(n);
      rows.push({ attr: attr.key, value: n });
    }
  }
  return rows;
}
