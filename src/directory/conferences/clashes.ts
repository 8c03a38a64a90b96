/**
 * Multicast clashes: a conference whose blob names a multicast group that another live
 * conference, or a lease of the multicast allocator, holds during an overlapping time. The
 * written entry is flagged (the operational attribute `multicastClash`, when the schema
 * defines it) or, with `refuseClashes`, refused with constraintViolation naming the holder.
 */
import { parseAddress } from '../../mcast/address.js';
import { LEASE_TAG_ATTRIBUTE, leaseTag } from '../../mcast/lease-tag.js';
import { parseGeneralizedTime, parseSdp, summarize, toGeneralizedTime } from '../../sdp/index.js';
import type { GroupRange, StoredEntry } from '../../store/index.js';
import { BLOB_KEY } from './derived.js';
import type { DirectoryContext } from '../context.js';
import { OperationError, ResultCode } from '../errors.js';
import type { MulticastLeaseLookup } from './leases.js';
import { spanOf } from './span.js';

/** The attribute that flags a clash, when the schema has it. */
const CLASH_ATTRIBUTE = 'multicastClash';

/** A group as numbers (family, first and last address) with its SDP text. */
interface Group extends GroupRange {
  text: string;
}

interface Usage {
  groups: readonly Group[];
  /** Tags of the leases the blob says it books (`a=x-rendezvous-lease`). */
  leases: ReadonlySet<string>;
  start: number;
  end: number;
}

/** One clash: the group of the entry and who else holds it. */
export interface Clash {
  group: string;
  /** The other conference's DN, or `MADCAP lease <id>`. */
  holder: string;
  start: number;
  end: number;
}

/** What clash detection reads of a conference blob: its groups and the leases it says it books. */
export interface BlobMulticast {
  readonly groups: readonly Group[];
  readonly leases: ReadonlySet<string>;
}

/** The last blob read: a write reads its blob twice, to check clashes and to store its groups. */
let lastRead: { blob: string; read: BlobMulticast } | undefined;

function readBlob(blob: string): BlobMulticast {
  if (lastRead?.blob !== blob) lastRead = { blob, read: parseBlob(blob) };
  return lastRead.read;
}

/**
 * What the blob of these attributes says of multicast, read where an add is prepared; the
 * process that writes it passes this to {@link checkClashes} instead of parsing the blob again.
 */
export function multicastOf(attributes: Readonly<Record<string, readonly string[]>>): BlobMulticast | undefined {
  const blob = attributes[BLOB_KEY]?.[0];
  return blob === undefined ? undefined : readBlob(blob);
}

function parseBlob(blob: string): BlobMulticast {
  const { description } = parseSdp(blob, { mode: 'lenient' });
  const groups = summarize(description).groups.flatMap((g) => {
    const a = parseAddress(g.address);
    if (!a) return [];
    return [{ text: g.count > 1 ? `${g.address}/${g.count}` : g.address, family: a.family, lo: a.value, hi: a.value + BigInt(g.count - 1) }];
  });
  const leases = new Set(description.attributes.filter((a) => a.name === LEASE_TAG_ATTRIBUTE && a.value !== undefined).map((a) => a.value!.trim().toLowerCase()));
  return { groups, leases };
}

/** What a conference holds; `read` is its blob's reading when the caller has it ({@link multicastOf}). */
function usageOf(attributes: Readonly<Record<string, readonly string[]>>, read?: BlobMulticast): Usage | undefined {
  const blob = attributes[BLOB_KEY]?.[0];
  if (blob === undefined) return undefined;
  const { groups, leases } = read ?? readBlob(blob);
  if (groups.length === 0) return undefined;
  const start = attributes.starttime?.[0];
  const stop = attributes.stoptime?.[0];
  // No start: a permanent session; no stop: unbounded. Either way it holds its groups for ever.
  return {
    groups,
    leases,
    start: (start === undefined ? undefined : parseGeneralizedTime(start)?.getTime()) ?? Number.NEGATIVE_INFINITY,
    end: (stop === undefined ? undefined : parseGeneralizedTime(stop)?.getTime()) ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * Parsed usages of stored conferences by entry id, valid while the blob is the same (the
 * times are derived from it), and what they weigh. Not by `modifiedAt`: two writes of one
 * entry within a millisecond have the same.
 */
interface UsageCache {
  readonly byId: Map<number, { blob: string | undefined; usage: Usage | undefined }>;
  weight: number;
}

/**
 * What the usages kept may weigh together: characters of their blobs (kept alive here to
 * compare), groups' texts and lease tags, and 64 for each usage, group and tag (several
 * thousand conferences of a few hundred bytes each). A blob may name any number of groups
 * and tags, and entries come and go (ids are not reused): a full cache starts over.
 */
const USAGE_CACHE_WEIGHT = 4 * 1024 * 1024;

const usageCaches = new WeakMap<DirectoryContext, UsageCache>();

/** What a usage weighs in {@link USAGE_CACHE_WEIGHT}. */
function weightOf(usage: Usage | undefined): number {
  let weight = 64;
  for (const g of usage?.groups ?? []) weight += 64 + g.text.length;
  for (const tag of usage?.leases ?? []) weight += 64 + tag.length;
  return weight;
}

function storedUsage(ctx: DirectoryContext, entry: StoredEntry): Usage | undefined {
  let cache = usageCaches.get(ctx);
  if (!cache) usageCaches.set(ctx, (cache = { byId: new Map(), weight: 0 }));
  const blob = entry.attributes[BLOB_KEY]?.[0];
  const hit = cache.byId.get(entry.id);
  if (hit && hit.blob === blob) return hit.usage;
  const usage = usageOf(entry.attributes);
  const weight = weightOf(usage);
  if (cache.weight + weight > USAGE_CACHE_WEIGHT) {
    cache.byId.clear();
    cache.weight = 0;
  }
  // A replaced usage's weight stays counted until the cache starts over: an over-estimate.
  cache.byId.set(entry.id, { blob, usage });
  cache.weight += weight + (blob?.length ?? 0);
  return usage;
}

/** The multicast groups an entry's conference blob uses, for the store's group table. */
export function groupsOf(attributes: Readonly<Record<string, readonly string[]>>): readonly GroupRange[] {
  const blob = attributes[BLOB_KEY]?.[0];
  return blob === undefined ? [] : readBlob(blob).groups;
}

/**
 * The other live conferences and leases that hold a group of these attributes at an
 * overlapping time; `read` is what {@link multicastOf} read of their blob, when known.
 */
export function findClashes(ctx: DirectoryContext, selfNdn: string, attributes: Readonly<Record<string, readonly string[]>>, read?: BlobMulticast): Clash[] {
  const mine = usageOf(attributes, read);
  const span = spanOf(attributes); // defined with a blob, as mine is
  if (!mine || !span) return [];
  const clashes: Clash[] = [];
  // Only conferences holding an address of one of these groups at an overlapping time can
  // clash: the store looks them up by group, then by span, and reads just those.
  for (const entry of ctx.entries.usingGroups(mine.groups, span, ctx.now())) {
    if (entry.ndn === selfNdn) continue;
    const theirs = storedUsage(ctx, entry);
    if (!theirs || theirs.start >= mine.end || mine.start >= theirs.end) continue;
    for (const g of mine.groups) {
      if (theirs.groups.some((t) => t.family === g.family && t.lo <= g.hi && g.lo <= t.hi)) {
        clashes.push({ group: g.text, holder: entry.dn, start: theirs.start, end: theirs.end });
      }
    }
  }
  clashes.push(...leaseClashes(ctx, mine));
  return clashes;
}

/** What a holder of a lease is called in a flag and a refusal. */
const LEASE_HOLDER = 'MADCAP lease ';

/** Who a value of the flag names (`GROUP HOLDER`): a conference's DN, or a lease. */
export const holderOf = (flagValue: string): string => flagValue.slice(flagValue.indexOf(' ') + 1);

/** Whether a holder is a MADCAP lease rather than a conference. */
export const isLeaseHolder = (holder: string): boolean => holder.startsWith(LEASE_HOLDER);

/** The MADCAP leases, other than those the conference says it books, that hold one of its groups at an overlapping time. */
function leaseClashes(ctx: DirectoryContext, mine: Usage): Clash[] {
  const leases = ctx.options.multicastLeases;
  if (!leases) return [];
  const clashes: Clash[] = [];
  // The allocator works in finite time: clamp a permanent session to what a lease can cover.
  const window = { start: Math.max(mine.start, 0), end: Math.min(mine.end, 8.64e15) };
  for (const g of mine.groups) {
    for (const lease of leases.holders(g.text.split('/')[0]!, Number(g.hi - g.lo) + 1, window)) {
      if (mine.leases.has(leaseTag(lease.leaseId))) continue;
      clashes.push({ group: g.text, holder: `${LEASE_HOLDER}${lease.leaseId}`, start: lease.start, end: lease.end });
    }
  }
  return clashes;
}

const when = (ms: number): string => (Number.isFinite(ms) ? toGeneralizedTime(new Date(ms)) : 'unbounded');

/**
 * Flags or refuses the clashes of an entry about to be written (after its derived attributes
 * were completed). Returns whether that changed the attributes (a flag added or removed).
 * `read` is what {@link multicastOf} read of the blob where the add was prepared, if elsewhere.
 *
 * @throws {@link OperationError} constraintViolation naming the holder, with `refuseClashes`.
 */
export function checkClashes(ctx: DirectoryContext, selfNdn: string, attributes: Record<string, string[]>, read?: BlobMulticast): boolean {
  const flag = ctx.schema.attribute(CLASH_ATTRIBUTE);
  const flagged = flag !== undefined && attributes[flag.key] !== undefined;
  if (flag) delete attributes[flag.key];
  const clashes = findClashes(ctx, selfNdn, attributes, read);
  if (clashes.length === 0) return flagged;
  if (ctx.options.refuseClashes) {
    const c = clashes[0]!;
    throw new OperationError(
      ResultCode.constraintViolation,
      `conferenceBlob: multicast group ${c.group} is already used by ${c.holder} (${when(c.start)} to ${when(c.end)}); choose another group or time`,
    );
  }
  if (flag) attributes[flag.key] = [...new Set(clashes.map(flagValue))];
  return flag !== undefined;
}

/**
 * {@link checkClashes} for a write that leaves a conference's blob as `previous` has it (a
 * modify of other attributes): the same blob holds the same groups at the same times, so the
 * conferences it clashes with are still those its flag names (a clash is mutual, and their
 * writes and expiry keep this flag current: clash-flags.ts). Only MADCAP leases, which the
 * flag follows on the conference's own writes, are looked up again. Spares such a modify the
 * search for conferences and the parse of its blob, most of its cost in the writing process
 * (measured). With `refuseClashes`, where no flag records what was found, the full check.
 * `attributes` must hold the same blob as `previous` (`sameBlob`, derived.ts).
 */
export function checkClashesUnchanged(ctx: DirectoryContext, previous: StoredEntry, attributes: Record<string, string[]>): boolean {
  // No blob: nothing to search (the full check returns at once).
  if (ctx.options.refuseClashes || previous.attributes[BLOB_KEY] === undefined) return checkClashes(ctx, previous.ndn, attributes);
  const flag = ctx.schema.attribute(CLASH_ATTRIBUTE);
  if (!flag) return false;
  const flagged = attributes[flag.key] !== undefined;
  delete attributes[flag.key];
  const values = (previous.attributes[flag.key] ?? []).filter((v) => !isLeaseHolder(holderOf(v)));
  // Its blob is parsed (or its reading found cached) only when some lease might clash.
  const mine = ctx.options.multicastLeases?.any() ? storedUsage(ctx, previous) : undefined;
  if (mine) values.push(...leaseClashes(ctx, mine).map(flagValue));
  if (values.length === 0) return flagged;
  attributes[flag.key] = [...new Set(values)];
  return true;
}

/** A value of the flag: the group, then who else holds it. */
const flagValue = (c: Clash): string => `${c.group} ${c.holder}`;
