/**
 * Keeps the `multicastClash` flag true on every conference, not only on the one written.
 * A clash is mutual: when a conference is added, changed, deleted or expires, the other
 * conferences that shared one of its groups at an overlapping time, before or after, may gain
 * or lose a clash. Their flags are computed again inside the same write transaction, and each
 * conference whose flag changes is updated and recorded as modified (changes.ts), as any
 * modification is. (A flag naming a MADCAP lease follows the conference's own writes only.)
 */
import type { StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { recordChange, takeCsn } from '../changes.js';
import { isLive } from '../operations/live.js';
import { storedForms } from '../operations/write-steps.js';
import { checkClashes, groupsOf, holderOf, isLeaseHolder } from './clashes.js';
import { sameBlob } from './derived.js';
import { spanOf } from './span.js';

const FLAG_KEY = 'multicastclash';

/** The DNs of the conferences a flag names (its values are `GROUP HOLDER`; a lease holder is `MADCAP lease <id>`). */
function flaggedHolders(attributes: Readonly<Record<string, readonly string[]>>): string[] {
  return (attributes[FLAG_KEY] ?? []).map(holderOf).filter((holder) => !isLeaseHolder(holder));
}

/** The live conferences other than `self` holding a group of these attributes at an overlapping time, as the store reads them. */
function sharing(ctx: DirectoryContext, selfNdn: string, attributes: Readonly<Record<string, readonly string[]>>): StoredEntry[] {
  const groups = groupsOf(attributes);
  const span = spanOf(attributes);
  if (groups.length === 0 || !span) return [];
  return [...ctx.entries.usingGroups(groups, span, ctx.now())].filter((e) => e.ndn !== selfNdn);
}

/** Whether `entry` is in `others` (by name) with the same conference blob: written again without a change of its groups or times. */
function sameBlobAsBefore(entry: StoredEntry, others: readonly StoredEntry[]): boolean {
  const other = others.find((o) => o.ndn === entry.ndn);
  return other !== undefined && sameBlob(other.attributes, entry.attributes);
}

const sameValues = (a: readonly string[] = [], b: readonly string[] = []): boolean => a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);

/** Computes a conference's flag again; updates and records it when it changed. */
function reflag(ctx: DirectoryContext, entry: StoredEntry): void {
  const attributes = { ...entry.attributes } as Record<string, string[]>;
  checkClashes(ctx, entry.ndn, attributes);
  if (sameValues(entry.attributes[FLAG_KEY], attributes[FLAG_KEY])) return;
  const forms = storedForms(ctx, attributes);
  const updated: StoredEntry = { ...entry, attributes, modifiedAt: ctx.now(), encoded: forms.encoded, csn: takeCsn(ctx) };
  ctx.entries.update(updated, forms.index, forms.span, forms.groups);
  recordChange(ctx, { kind: 'modified', entry: updated, previous: entry, before: entry }, updated.csn);
}

/**
 * Computes again, in the open write transaction, the flags of the conferences whose clashes
 * the conferences just written or removed may have changed. `written` are the entries as
 * stored now (their own flags computed as they were written); `before` what they were before
 * the write, or what was deleted or expired (gone from the store by now). Nothing to do when
 * the schema has no flag or clashes are refused instead of flagged.
 */
export function keepClashFlags(ctx: DirectoryContext, written: readonly StoredEntry[], before: readonly StoredEntry[] = []): void {
  if (ctx.options.refuseClashes || !ctx.schema.attribute(FLAG_KEY)) return;
  const selves = new Set([...written, ...before].map((e) => e.ndn));
  const others = new Map<string, StoredEntry | undefined>();
  // A written conference's fresh flag names exactly those it clashes with now (found in the
  // store, not in others' flags); what it shared before is looked up as it was.
  for (const entry of written) {
    // The same blob as before holds the same groups at the same times: those it clashes with
    // (its flag, kept by checkClashesUnchanged) are as they were, and so are their flags.
    if (sameBlobAsBefore(entry, before)) continue;
    for (const dn of flaggedHolders(entry.attributes)) others.set(ctx.names.parse(dn).ndn, undefined);
  }
  for (const entry of before) {
    if (!entry.attributes.conferenceblob) continue;
    // The same blob and times hold the same groups: the fresh flag already named them.
    if (sameBlobAsBefore(entry, written)) continue;
    for (const other of sharing(ctx, entry.ndn, entry.attributes)) others.set(other.ndn, other);
  }
  for (const [ndn, known] of others) {
    if (selves.has(ndn)) continue;
    const entry = known ?? ctx.entries.get(ndn);
    if (entry?.attributes.conferenceblob && isLive(ctx, entry)) reflag(ctx, entry);
  }
}
