/**
 * What a search returns of an entry: user attributes as stored, operational attributes
 * computed, and the RFC 4511/3673 attribute selection (`*`, `+`, `1.1`, names in any case).
 */
import { toGeneralizedTime } from '../../sdp/time.js';
import type { AttributeEncoding, StoredAttributes, StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import type { AttributeCodec, EntryView, ViewAttribute } from './view.js';
import type { AttributeInfo, SchemaAccess } from '../schema/schema-access.js';
import { remainingTtl } from '../dynamic/ttl.js';
import { ownerDn } from '../access.js';
import { SUBSCHEMA_DN } from '../schema/subschema-entry.js';

/** Operational attributes every entry has, computed from its row. */
const OPERATIONAL = [
  'structuralobjectclass',
  'entrydn',
  'entryuuid',
  'entrycsn',
  'contextcsn',
  'creatorsname',
  'createtimestamp',
  'modifiersname',
  'modifytimestamp',
  'subschemasubentry',
  'hassubordinates',
  'entryttl',
] as const;

/** The normal form of what the client asked for. */
export interface Selection {
  allUser: boolean;
  allOperational: boolean;
  /** Keys of attributes asked for by name. */
  named: Set<string>;
  /**
   * Identifies the selection when its view of an entry depends on the stored attributes
   * only (no computed operational attribute such as entryTtl), so views can be reused.
   */
  reuseKey: string | undefined;
  /**
   * Whether the view of an entry is part of its stored encoding: attributes asked for by name
   * (or none, `1.1`), none of them computed. Such a search sends those attributes' bytes
   * picked out of the encoding ({@link AttributeCodec.select}), decoding nothing.
   */
  fromEncoding: boolean;
}

/** Every user attribute and nothing else: what a search asks for by default, and what is stored encoded. */
export const ALL_USER_ATTRIBUTES: Readonly<Selection> = { allUser: true, allOperational: false, named: new Set(), reuseKey: '*;', fromEncoding: false };

/**
 * Selections by the schema they were read with and the list as the client sent it: one name
 * as it is, other lists as their count and names joined by NUL. Clients send the same few
 * lists over and over (TAPI's, ILS clients', an application's two fields); reading one anew
 * was a schema lookup per name and a sorted key on every search. A list with a NUL in a name
 * (which no attribute description holds) is read anew each time: its key could be another
 * list's. Bounded in count and size ({@link MAX_KEPT_KEY}): a client that sends ever new lists
 * empties it.
 */
const selections = new WeakMap<object, Map<string, Readonly<Selection>>>();

/**
 * Distinct attribute lists kept read per schema, and the longest list kept (characters of its
 * key): what clients really send is a few names, and a list of a thousand names of a kilobyte
 * each must not be kept (issue 22: what a client sends must not grow the server), so the cache
 * holds at most 256 × 1 KiB of keys.
 */
const MAX_SELECTIONS = 256;
const MAX_KEPT_KEY = 1024;

/**
 * Reads a requested attribute list (RFC 4511 §4.5.1.8, RFC 3673). Unknown names are ignored.
 * The same list gets the same (shared, not to be changed) selection again.
 */
export function parseSelection(ctx: DirectoryContext, requested: readonly string[]): Readonly<Selection> {
  let known = selections.get(ctx.schema);
  if (!known) selections.set(ctx.schema, (known = new Map()));
  const key = requested.length === 1 ? requested[0]! : `${requested.length}\u0000${requested.join('\u0000')}`;
  let selection = known.get(key);
  if (selection) return selection;
  selection = readSelection(ctx, requested);
  if (key.length > MAX_KEPT_KEY || requested.some((name) => name.includes('\u0000'))) return selection;
  if (known.size >= MAX_SELECTIONS) known.clear();
  known.set(key, selection);
  return selection;
}

function readSelection(ctx: DirectoryContext, requested: readonly string[]): Readonly<Selection> {
  const selection: Selection = { allUser: false, allOperational: false, named: new Set(), reuseKey: undefined, fromEncoding: false };
  const wanted = requested.filter((a) => a !== '1.1');
  if (wanted.length === 0 && !requested.includes('1.1')) selection.allUser = true;
  for (const raw of wanted) {
    const name = raw.split(';')[0]!;
    if (name === '*') selection.allUser = true;
    else if (name === '+') selection.allOperational = true;
    else {
      const attr = ctx.schema.attribute(name);
      if (attr) selection.named.add(attr.key);
    }
  }
  const computed = selection.allOperational || OPERATIONAL.some((key) => selection.named.has(key));
  if (!computed) selection.reuseKey = `${selection.allUser ? '*' : ''};${[...selection.named].sort().join(',')}`;
  selection.fromEncoding = !computed && !selection.allUser;
  return selection;
}

/**
 * Computes an operational attribute of an entry, or undefined when it has none; `attributes`
 * are the entry's, when read from elsewhere than the entry (its stored encoding).
 */
export function operationalValues(ctx: DirectoryContext, entry: StoredEntry, key: string, attributes: StoredAttributes = entry.attributes): string[] | undefined {
  switch (key) {
    case 'structuralobjectclass': {
      const structural = (attributes.objectclass ?? [])
        .map((c) => ctx.schema.objectClass(c))
        .find((c) => c?.kind === 'STRUCTURAL');
      return structural ? [structural.name] : undefined;
    }
    case 'entrydn':
      return [entry.dn];
    case 'entryuuid':
      return [entry.uuid];
    case 'entrycsn':
      return entry.csn === '' ? undefined : [entry.csn];
    case 'contextcsn':
      // On the suffix entry, as slapd's syncprov keeps it.
      return entry.ndn === ctx.suffixNdn ? [ctx.entries.changes.contextCsn()] : undefined;
    case 'creatorsname':
      return [ownerDn(ctx, entry.creator)];
    case 'modifiersname':
      return [ownerDn(ctx, entry.modifier)];
    case 'createtimestamp':
      return [toGeneralizedTime(new Date(entry.createdAt))];
    case 'modifytimestamp':
      return [toGeneralizedTime(new Date(entry.modifiedAt))];
    case 'subschemasubentry':
      return [SUBSCHEMA_DN];
    case 'hassubordinates':
      return [ctx.entries.hasChildren(entry.ndn, ctx.now()) ? 'TRUE' : 'FALSE'];
    case 'entryttl':
      return entry.expiresAt === null ? undefined : [String(remainingTtl(entry.expiresAt, ctx.now()))];
    default:
      return undefined;
  }
}

/** Every value of an attribute of an entry, stored or computed (`attributes` as in {@link operationalValues}). */
export function valuesOf(ctx: DirectoryContext, entry: StoredEntry, attr: AttributeInfo, attributes: StoredAttributes = entry.attributes): readonly string[] {
  const stored = attributes[attr.key];
  if (stored) return stored;
  if ((OPERATIONAL as readonly string[]).includes(attr.key)) return (operationalValues(ctx, entry, attr.key, attributes) ?? []).filter((v) => v !== '');
  return [];
}

/**
 * Every value of an attribute of an entry read by its stored encoding ({@link StoredEntry.encoded}),
 * as {@link valuesOf} gives them: a search that sends the encoding evaluates its filter with
 * these and never reads the entry's attributes. Only the attribute asked for is decoded.
 */
export function encodedValuesOf(ctx: DirectoryContext, entry: StoredEntry, encoded: Buffer, attr: AttributeInfo): readonly string[] {
  const codec = ctx.attributeCodec;
  if (!attr.operational) return codec.values(encoded, attr.name, attr.binary) ?? [];
  // Computed from the row, and structuralObjectClass from the object classes.
  const objectClass = ctx.schema.attribute('objectclass')!;
  return valuesOf(ctx, entry, attr, { objectclass: codec.values(encoded, objectClass.name, false) ?? [] });
}

/**
 * How the store keeps entries' attributes: the protocol's attribute list, read back keyed
 * like stored attributes. The encoding names each attribute as {@link selectAttributes}
 * does, by its primary name, whose lower case is its key; the schema is asked only which
 * values are bytes. An entry a search result gives whole is stored as that result's
 * encoding ({@link encodedOf}); the store encodes one with values a result leaves out
 * itself, every attribute and value, empty ones included.
 */
export function storedAttributeEncoding(schema: SchemaAccess, codec: AttributeCodec): AttributeEncoding {
  const binary = (name: string): boolean => schema.attribute(name)?.binary ?? false;
  return {
    encode: (attributes) =>
      codec.encode(
        Object.entries(attributes).map(([key, values]) => {
          const attr = schema.attribute(key);
          return { name: attr?.name ?? key, values: [...values], binary: attr?.binary ?? false };
        }),
      ),
    decode: (encoded) => {
      const out: Record<string, string[]> = {};
      for (const a of codec.read(encoded, binary)) out[a.name.toLowerCase()] = a.values;
      return out;
    },
  };
}

/** Selects attributes of a map of values (stored or special entries) for a client. */
export function selectAttributes(
  ctx: DirectoryContext,
  dn: string,
  attributes: Readonly<Record<string, readonly string[]>>,
  selection: Selection,
  typesOnly: boolean,
  computed: (key: string) => string[] | undefined = () => undefined,
): EntryView {
  const out: ViewAttribute[] = [];
  const push = (key: string, values: readonly string[]): void => {
    const nonEmpty = values.filter((v) => v !== '');
    if (nonEmpty.length === 0) return;
    const attr = ctx.schema.attribute(key);
    out.push({ name: attr?.name ?? key, values: typesOnly ? [] : [...nonEmpty], binary: attr?.binary ?? false });
  };
  for (const [key, values] of Object.entries(attributes)) {
    const operational = ctx.schema.attribute(key)?.operational ?? false;
    if ((operational ? selection.allOperational : selection.allUser) || selection.named.has(key)) push(key, values);
  }
  for (const key of OPERATIONAL) {
    if (key in attributes || (!selection.allOperational && !selection.named.has(key))) continue;
    const values = computed(key);
    if (values) push(key, values);
  }
  return { dn, attributes: out };
}

/**
 * Views by the stored attribute map they were made from (immutable when it comes from the
 * store, and unique to one entry) and selection: an unchanged entry searched again gets the
 * same view object, which the protocol layer keeps encoded.
 */
const views = new WeakMap<object, Map<string, EntryView>>();

/**
 * Views kept of one entry. A selection is any subset of the schema's attributes, and a
 * view's encoding (kept by the protocol layer) is as large as what it selects: without a
 * bound, searching one popular entry for ever new selections grew the memory without end.
 * The stored attribute maps live in the store's cache, bounded in bytes, and so do their
 * views: at most this many times its size. A full set starts over.
 */
const VIEWS_PER_ENTRY = 4;

/** Builds the view of a stored entry for a selection, or reuses the one built before. */
export function viewOf(ctx: DirectoryContext, entry: StoredEntry, selection: Selection, typesOnly: boolean): EntryView {
  if (entry.encoded !== null && !typesOnly) {
    if (selection.reuseKey === ALL_USER_ATTRIBUTES.reuseKey) return { dn: entry.dn, attributes: [], encoded: entry.encoded };
    if (selection.fromEncoding) return { dn: entry.dn, attributes: [], encoded: ctx.attributeCodec.select(entry.encoded, selection.named) };
  }
  const build = (): EntryView => selectAttributes(ctx, entry.dn, entry.attributes, selection, typesOnly, (key) => operationalValues(ctx, entry, key));
  if (selection.reuseKey === undefined || !Object.isFrozen(entry.attributes)) return build();
  let byKey = views.get(entry.attributes);
  if (!byKey) views.set(entry.attributes, (byKey = new Map()));
  const key = typesOnly ? `${selection.reuseKey};types` : selection.reuseKey;
  let view = byKey.get(key);
  if (!view) {
    if (byKey.size >= VIEWS_PER_ENTRY) byKey.clear();
    byKey.set(key, (view = build()));
  }
  return view;
}
