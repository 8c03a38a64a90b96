/**
 * Modify (RFC 4511 §4.6): add, delete and replace applied in order, all or nothing.
 * Replacing entryTTL refreshes a dynamic entry, as ILS and Active Directory clients do.
 */
import type { Span, StoredEntry } from '../../store/index.js';
import { checkOwner, ownerOf } from '../access.js';
import { checkModifySize, checkWritable, decodeValues, MAX_ATTRIBUTE_VALUES, resolveAttribute, type RawAttribute } from '../model/attributes.js';
import type { DirectoryContext, Identity } from '../context.js';
import { resolveClasses } from '../schema/entry-rules.js';
import { checkClashes, checkClashesUnchanged } from '../conferences/clashes.js';
import { sameBlob } from '../conferences/derived.js';
import { endsAtOf, spanOf } from '../conferences/span.js';
import { requireLive } from './live.js';
import { completeEntry, storedForms } from './write-steps.js';
import { recordChange, takeCsn } from '../changes.js';
import { keepApplicationEntry } from './registrations.js';
import { keepClashFlags } from '../conferences/clash-flags.js';
import { OperationError, ResultCode } from '../errors.js';
import type { AttributeInfo } from '../schema/schema-access.js';
import { grantTtl } from '../dynamic/ttl.js';

/** One change of a modify request. */
export interface Change {
  operation: 'add' | 'delete' | 'replace';
  modification: RawAttribute;
}

/**
 * The values of the attributes a modify changes, each by its normal form in the entry's
 * order, so that every change costs what its own values cost: comparing each change with
 * the whole attribute, rebuilt after every change, made a modify of many changes to one
 * attribute cost the square of their number.
 */
class ChangedValues {
  readonly #attributes: Record<string, string[]>;
  readonly #normal: (attr: AttributeInfo, value: string) => string;
  readonly #byKey = new Map<string, Map<string, string>>();
  /** Keys left without values at some point: written back at the end of the entry, as a removed attribute added again is. */
  readonly #emptied = new Set<string>();

  constructor(attributes: Record<string, string[]>, normal: (attr: AttributeInfo, value: string) => string) {
    this.#attributes = attributes;
    this.#normal = normal;
  }

  /** The values of an attribute by their normal forms, read from the entry on first use. */
  of(attr: AttributeInfo): Map<string, string> {
    let values = this.#byKey.get(attr.key);
    if (!values) {
      values = new Map();
      for (const v of this.#attributes[attr.key] ?? []) values.set(this.#normal(attr, v), v);
      this.#byKey.set(attr.key, values);
    }
    return values;
  }

  /** Replaces an attribute's values. */
  set(attr: AttributeInfo, values: readonly string[]): Map<string, string> {
    const next = new Map(values.map((v) => [this.#normal(attr, v), v]));
    this.#byKey.set(attr.key, next);
    return next;
  }

  /** Notes that an attribute has no values now. */
  emptied(attr: AttributeInfo): void {
    this.#emptied.add(attr.key);
  }

  /** Writes the changed attributes into the entry's attributes, refusing one with too many values. */
  writeBack(): void {
    for (const [key, values] of this.#byKey) {
      if (values.size > MAX_ATTRIBUTE_VALUES) {
        throw new OperationError(ResultCode.adminLimitExceeded, `${key}: the entry would hold ${values.size} values; at most ${MAX_ATTRIBUTE_VALUES} are accepted`);
      }
      if (this.#emptied.has(key) || values.size === 0) delete this.#attributes[key];
      if (values.size > 0) this.#attributes[key] = [...values.values()];
    }
  }
}

/**
 * Whether a modify leaves a conference's time span and multicast groups as stored: they come
 * from its times and its blob alone, so the same values give the same rows.
 */
function sameSpanAndGroups(before: Readonly<Record<string, readonly string[]>>, after: Readonly<Record<string, readonly string[]>>, span: Span | undefined): { span: boolean; groups: boolean } {
  const was = spanOf(before);
  return { span: was === span || (was !== undefined && span !== undefined && was[0] === span[0] && was[1] === span[1]), groups: sameBlob(before, after) };
}

/** Applies the changes; returns the entry as stored afterwards. */
export function modify(ctx: DirectoryContext, identity: Identity, dnText: string, changes: readonly Change[]): StoredEntry {
  checkModifySize(changes);
  const name = ctx.names.parse(dnText);
  return ctx.entries.transaction(() => {
    const previous = requireLive(ctx, name, dnText);
    checkOwner(ctx, identity, name, previous, 'modify');
    // A copy to change (the stored map is frozen): structuredClone serialised and parsed it,
    // several times the cost of copying a dozen arrays of strings.
    const attributes: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(previous.attributes)) attributes[key] = [...values];
    let expiresAt = previous.expiresAt;
    const rdnKeys = new Map<string, string[]>();
    for (const ava of name.dn[0] ?? []) {
      const attr = ctx.schema.attribute(ava.type)!;
      rdnKeys.set(attr.key, [...(rdnKeys.get(attr.key) ?? []), ctx.evaluator.assertion(attr, ava.value) ?? ava.value]);
    }
    const normal = (attr: AttributeInfo, v: string): string => (attr.binary ? v : (ctx.evaluator.assertion(attr, v) ?? v));
    const changed = new ChangedValues(attributes, normal);

    for (const change of changes) {
      const attr = resolveAttribute(ctx, change.modification.type);
      const values = decodeValues(attr, change.modification.values);
      if (attr.key === 'entryttl') {
        if (change.operation !== 'replace' || values.length !== 1) {
          throw new OperationError(ResultCode.constraintViolation, 'entryTTL can only be replaced with one value (a refresh)');
        }
        if (expiresAt === null) throw new OperationError(ResultCode.objectClassViolation, 'entryTTL applies only to dynamic entries (objectClass dynamicObject)');
        expiresAt = ctx.now() + grantTtl(ctx.options.ttl, Number(values[0]), 'grant maximum') * 1000;
        continue;
      }
      if (attr.key !== 'objectclass') checkWritable(attr);
      let next: Map<string, string>;
      switch (change.operation) {
        case 'add': {
          if (values.length === 0) throw new OperationError(ResultCode.protocolError, `${attr.name}: a modify add needs at least one value`);
          next = changed.of(attr);
          const added = values.map((v) => [normal(attr, v), v] as const);
          const clash = added.find(([n]) => next.has(n));
          if (clash !== undefined) throw new OperationError(ResultCode.attributeOrValueExists, `${attr.name}: value '${clash[1]}' already exists`);
          for (const [n, v] of added) next.set(n, v);
          break;
        }
        case 'delete': {
          next = changed.of(attr);
          if (next.size === 0) throw new OperationError(ResultCode.noSuchAttribute, `${attr.name}: the entry has no such attribute`);
          if (values.length === 0) {
            next.clear();
          } else {
            const drop = values.map((v) => normal(attr, v));
            const missing = values.find((_, i) => !next.has(drop[i]!));
            if (missing !== undefined) throw new OperationError(ResultCode.noSuchAttribute, `${attr.name}: the entry has no value '${missing}'`);
            for (const n of drop) next.delete(n);
          }
          break;
        }
        case 'replace':
          next = changed.set(attr, values);
          break;
      }
      const rdnValues = rdnKeys.get(attr.key);
      if (rdnValues && !rdnValues.every((r) => next.has(r))) {
        throw new OperationError(ResultCode.notAllowedOnRDN, `${attr.name}: the value naming the entry (its RDN) cannot be removed`);
      }
      if (next.size === 0) changed.emptied(attr);
    }
    changed.writeBack();

    const before = resolveClasses(ctx.schema, previous.attributes.objectclass ?? []);
    const after = resolveClasses(ctx.schema, attributes.objectclass ?? []);
    if (after.structural.key !== before.structural.key) {
      throw new OperationError(ResultCode.objectClassModsProhibited, `the structural object class of an entry cannot change (${before.structural.name} to ${after.structural.name})`);
    }
    const wasDynamic = before.classes.some((c) => c.key === 'dynamicobject');
    const isDynamic = after.classes.some((c) => c.key === 'dynamicobject');
    if (wasDynamic !== isDynamic) {
      throw new OperationError(ResultCode.objectClassViolation, wasDynamic ? 'a dynamic entry cannot be made static (RFC 2589)' : 'a static entry cannot be made dynamic (RFC 2589)');
    }
    attributes.objectclass = [...new Set(after.classes.map((c) => c.name))];
    completeEntry(ctx, attributes, previous.attributes);
    // The blob as it was (a modify of other attributes): its groups and times are too.
    const blobKept = sameBlob(previous.attributes, attributes);
    if (blobKept) checkClashesUnchanged(ctx, previous, attributes);
    else checkClashes(ctx, name.ndn, attributes);

    // With the same blob the store keeps the groups it has (sameSpanAndGroups): none to work out.
    const forms = storedForms(ctx, attributes, blobKept ? [] : undefined);
    const entry: StoredEntry = { ...previous, attributes, expiresAt, endsAt: endsAtOf(attributes, ctx.options.conferenceGrace), modifier: ownerOf(identity), modifiedAt: ctx.now(), encoded: forms.encoded, csn: takeCsn(ctx) };
    ctx.entries.update(entry, forms.index, forms.span, forms.groups, sameSpanAndGroups(previous.attributes, attributes, forms.span));
    recordChange(ctx, { kind: 'modified', entry, previous, before: previous }, entry.csn);
    keepClashFlags(ctx, [entry], [previous]);
    // NetMeeting sets its application attributes on the person: its application entry follows.
    keepApplicationEntry(ctx, entry, previous);
    return entry;
  });
}
