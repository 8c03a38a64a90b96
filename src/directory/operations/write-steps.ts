/**
 * Shared steps of the write operations: completing an entry (its derived attributes, the
 * schema check) and the forms the store keeps of its attributes besides them (encoding,
 * index rows, time span, multicast groups).
 */
import type { GroupRange, IndexRow, Span } from '../../store/index.js';
import { groupsOf } from '../conferences/clashes.js';
import { BLOB_KEY, DERIVED_KEYS, deriveFromBlob, derivedOf } from '../conferences/derived.js';
import { endsAtOf, spanOf } from '../conferences/span.js';
import type { DirectoryContext } from '../context.js';
import { checkEntry } from '../schema/entry-rules.js';
import { OperationError, ResultCode } from '../errors.js';
import { isIndexed } from '../model/indexing.js';
import { ALL_USER_ATTRIBUTES, selectAttributes } from '../model/entry-view.js';

/**
 * Recomputes the attributes derived from the conference blob (or removes them when there
 * is none) and checks the entry against its classes. `previous`: the attributes as stored
 * before a modify; when the blob is the one they have, their derived values are its
 * derivation (validated and derived when it was written), and the SDP is not parsed again.
 */
export function completeEntry(ctx: DirectoryContext, attributes: Record<string, string[]>, previous?: Readonly<Record<string, readonly string[]>>): void {
  for (const key of DERIVED_KEYS) delete attributes[key];
  const blob = attributes[BLOB_KEY]?.[0];
  if (blob !== undefined) Object.assign(attributes, blob === previous?.[BLOB_KEY]?.[0] ? derivedOf(previous) : deriveFromBlob(blob));
  checkEntry(ctx.schema, attributes);
  const endsAt = endsAtOf(attributes, ctx.options.conferenceGrace);
  if (endsAt !== null && endsAt <= ctx.now()) {
    throw new OperationError(
      ResultCode.constraintViolation,
      `the conference ended at ${attributes.stoptime?.[0]} (SDP stop time), more than the grace period of ${ctx.options.conferenceGrace} s ago; give it times in the future`,
    );
  }
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

/**
 * What the store keeps of an entry's attributes besides them: their encoding, index rows,
 * time span and multicast groups. Pure work on the attributes.
 */
export interface StoredForms {
  readonly encoded: Buffer | null;
  readonly index: readonly IndexRow[];
  readonly span: Span | undefined;
  readonly groups: readonly GroupRange[];
}

/**
 * Works out the {@link StoredForms} of complete attributes; `groups` when the caller knows
 * the store will not need them (a blob unchanged by a modify), to spare parsing the blob.
 */
export function storedForms(ctx: DirectoryContext, attributes: Readonly<Record<string, readonly string[]>>, groups?: readonly GroupRange[]): StoredForms {
  return { encoded: encodedOf(ctx, attributes), index: indexRows(ctx, attributes), span: spanOf(attributes), groups: groups ?? groupsOf(attributes) };
}
