/**
 * What a live search asks for (base, scope, filter, attributes), compiled once to be asked of
 * each change: whether an entry is in scope by its path, whether it matches the filter, and
 * its view. Answers for a change are kept on the change ({@link ChangeRecord.memo}) under
 * the query's key, so a thousand live searches that ask the same are answered once per change.
 * A content sync's view leaves out what a replica cannot store (model/replicable.ts).
 */
import { PATH_SEPARATOR, isLiveAt, type StoredAttributes, type StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import type { Filter } from '../model/filter.js';
import type { Name } from '../model/names.js';
import { parseSelection, viewOf, type Selection } from '../model/entry-view.js';
import { replicableAttributes } from '../model/replicable.js';
import type { EntryView } from '../model/view.js';
import { storedTarget, type SearchScope } from '../operations/search.js';
import type { ChangeRecord } from './feed.js';

/**
 * Which values a live search sends of an entry: `stored`, every value as stored, as a search
 * does (persistent search); `replicable`, without the values a replica refuses by their syntax
 * (RFC 4533 content sync: the replication protocol, whose consumers store what they are sent,
 * stock slapd among them; {@link replicableAttributes}).
 */
export type LiveValues = 'stored' | 'replicable';

/** A live search's question, as a client sent it. */
export interface LiveRequest {
  base: string;
  scope: SearchScope;
  filter: Filter;
  attributes: readonly string[];
  typesOnly: boolean;
}

/** A change as a live search sends it (the same object for every search with the same question). */
export interface LiveChange {
  readonly kind: 'add' | 'modify' | 'delete';
  readonly record: ChangeRecord;
  /** The entry as the change left it (add and modify). */
  readonly entry?: StoredEntry;
}

/** A live search's question, compiled. */
export class LiveQuery {
  readonly request: LiveRequest;
  readonly base: Name;
  readonly selection: Selection;
  /** Same key, same answers about any entry: base, scope and filter. */
  readonly matchKey: string;
  /** Which values of an entry it sends (not part of {@link matchKey}: what matches is the same). */
  readonly values: LiveValues;
  readonly #ctx: DirectoryContext;
  /** The keys of this query's answers in a change's memo, made once (read per change and search). */
  readonly #beforeKey: string;
  readonly #afterKey: string;
  readonly #changeKey: string;

  constructor(ctx: DirectoryContext, request: LiveRequest, values: LiveValues) {
    this.#ctx = ctx;
    this.request = request;
    this.values = values;
    this.base = ctx.names.parse(request.base);
    this.selection = parseSelection(ctx, request.attributes);
    this.matchKey = `${this.base.ndn}\u0000${request.scope}\u0000${JSON.stringify(request.filter)}`;
    this.#beforeKey = `b\u0000${this.matchKey}`;
    this.#afterKey = `a\u0000${this.matchKey}`;
    this.#changeKey = `c\u0000${this.matchKey}`;
  }

  /** Whether an entry at `path` is in the search's scope. */
  inScope(path: string): boolean {
    const base = this.base.path;
    const scope = this.request.scope;
    if (scope === 'base') return path === base;
    const below = base === '' ? path !== '' : path.startsWith(base + PATH_SEPARATOR);
    if (scope === 'sub') return path === base || below;
    return below && !path.slice(base === '' ? 0 : base.length + 1).includes(PATH_SEPARATOR);
  }

  /** Whether a live entry is in scope and matches the filter. */
  matches(entry: StoredEntry): boolean {
    if (!this.inScope(entry.path) || !isLiveAt(entry, this.#ctx.now())) return false;
    let name: Name | undefined;
    return this.#ctx.evaluator.evaluate(this.request.filter, storedTarget(this.#ctx, entry, 'attributes', () => (name ??= this.#ctx.names.parse(entry.dn)))) === true;
  }

  /** What the client is sent of an entry (of its values, those {@link values} says). */
  view(entry: StoredEntry): EntryView {
    return viewOf(this.#ctx, this.values === 'replicable' ? this.#replicable(entry) : entry, this.selection, this.request.typesOnly);
  }

  /** The entry with only the values a replica can store: itself when it has no other (its stored encoding is then what a replica is sent). */
  #replicable(entry: StoredEntry): StoredEntry {
    const schema = this.#ctx.schema;
    const attributes = replicableAttributes(entry.attributes, (key) => schema.attribute(key)?.rules.syntax);
    // Not the stored encoding, which holds what is left out: the view is built from the attributes.
    return attributes === entry.attributes ? entry : { ...entry, attributes, encoded: null };
  }

  /** What the client is sent of the attributes an entry had (a deleted entry, for persistent search). */
  viewOfBefore(record: ChangeRecord): EntryView {
    const entry = entryBefore(this.#ctx, record);
    return entry === undefined ? { dn: record.dn, attributes: [] } : viewOf(this.#ctx, entry, this.selection, this.request.typesOnly);
  }

  /**
   * Whether the entry a change is about matched before the change: its attributes before
   * (a delete, a modify that changed them), or for a change that did not touch them (a
   * refresh), whether it matched right after.
   */
  matchedBefore(record: ChangeRecord): boolean {
    return memo(this.#ctx, record, this.#beforeKey, () => {
      if (!this.inScope(record.path)) return false;
      const entry = entryBefore(this.#ctx, record);
      if (entry === undefined) return record.kind === 'modify' && this.matchesAfter(record);
      let name: Name | undefined;
      return this.#ctx.evaluator.evaluate(this.request.filter, storedTarget(this.#ctx, entry, 'attributes', () => (name ??= this.#ctx.names.parse(entry.dn)))) === true;
    });
  }

  /**
   * What a change is to the search, or null when it does not concern it: an entry that starts
   * matching is an add, one that stops is a delete, whatever the log calls the change.
   */
  changeOf(record: ChangeRecord): LiveChange | null {
    return memo(this.#ctx, record, this.#changeKey, (): LiveChange | null => {
      if (record.kind === 'delete') return this.matchedBefore(record) ? { kind: 'delete', record } : null;
      const now = this.matchesAfter(record);
      const before = record.kind === 'add' ? false : this.matchedBefore(record);
      const entry = now ? entryAfter(this.#ctx, record) : undefined;
      if (now && entry !== undefined) return { kind: before ? 'modify' : 'add', record, entry };
      return before ? { kind: 'delete', record } : null;
    });
  }

  /** Whether the entry a change is about matched right after the change ({@link entryAfter}). */
  matchesAfter(record: ChangeRecord): boolean {
    return memo(this.#ctx, record, this.#afterKey, () => {
      const entry = entryAfter(this.#ctx, record);
      return entry !== undefined && this.matches(entry);
    });
  }
}

/** What an answer kept on a change is counted for in the feed's bound (its key's place in the memo, a small value). */
const ANSWER_BYTES = 64;

/** A value worked out once per change and key, for every reader of the change. */
function memo<T>(ctx: DirectoryContext, record: ChangeRecord, key: string, make: () => T): T {
  if (record.memo.has(key)) return record.memo.get(key) as T;
  return ctx.feed.remember(record, key, make(), ANSWER_BYTES);
}

/** Memo keys of the entries kept on a change, by which state of the entry. */
const ENTRY_KEYS = { after: 'e\u0000after', before: 'e\u0000before' } as const;

/**
 * An entry read or decoded for a change (`which` state of it), kept on the change for every
 * reader: however far apart the live searches are, and whatever their questions, each entry
 * is read once for all of them while the feed holds the change (read anew per search, a
 * thousand searches a few hundred changes apart spent a quarter of their time in SQLite).
 * Counted against the feed's bound by its encoding: a decoded entry holds its attributes
 * about twice over (text, and the encoding).
 */
function kept(ctx: DirectoryContext, record: ChangeRecord, which: keyof typeof ENTRY_KEYS, make: () => StoredEntry | undefined): StoredEntry | undefined {
  const key = ENTRY_KEYS[which];
  if (record.memo.has(key)) return record.memo.get(key) as StoredEntry | undefined;
  const entry = make();
  return ctx.feed.remember(record, key, entry, 256 + 2 * (entry?.encoded?.length ?? record.before?.length ?? 1024));
}

/** The entry a change is about, as it is now; undefined when gone. */
export function currentEntry(ctx: DirectoryContext, record: ChangeRecord): StoredEntry | undefined {
  return record.kind === 'delete' ? undefined : ctx.entries.byUuid(record.uuid);
}

/**
 * The entry a change is about as the change left it: with the attributes its next change
 * recorded as `before` (it changed again since), or as it is now. Each change is then judged
 * and sent by its own outcome, whatever came after: a reader that reads late sees every step.
 * Undefined for a delete, or an entry gone since without a trace (never: a delete records
 * its attributes).
 */
export function entryAfter(ctx: DirectoryContext, record: ChangeRecord): StoredEntry | undefined {
  if (record.kind === 'delete') return undefined;
  return kept(ctx, record, 'after', () => {
    const later = ctx.entries.changes.attributesAfter(record.uuid, record.seq);
    return later === undefined ? currentEntry(ctx, record) : entryOf(ctx, record, later);
  });
}

/** The entry a change is about with the attributes it had before the change, when the change recorded them. */
function entryBefore(ctx: DirectoryContext, record: ChangeRecord): StoredEntry | undefined {
  if (record.before === null) return undefined;
  return kept(ctx, record, 'before', () => entryOf(ctx, record, record.before!));
}

/** The entry a change is about, with attributes the log recorded (in the store's encoding). */
function entryOf(ctx: DirectoryContext, record: ChangeRecord, encoded: Buffer): StoredEntry {
    const attributes: StoredAttributes = Object.freeze(ctx.entries.changes.decodeBefore(encoded));
    const ndn = ctx.names.parse(record.dn).ndn;
    return {
      id: 0,
      dn: record.dn,
      ndn,
      parent: '',
      path: record.path,
      attributes,
      creator: '',
      modifier: '',
      createdAt: record.at,
      modifiedAt: record.at,
      uuid: record.uuid,
      csn: record.csn,
      expiresAt: null,
      endsAt: null,
      encoded: null,
    } satisfies StoredEntry;
}
