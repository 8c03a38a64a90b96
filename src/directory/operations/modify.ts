/**
 * Modify (RFC 4511 §4.6): add, delete and replace applied in order, all or nothing.
 * Replacing entryTTL refreshes a dynamic entry, as ILS and Active Directory clients do.
 */
import type { StoredEntry } from '../../store/index.js';
import { checkOwner, ownerOf } from '../access.js';
import { checkWritable, decodeValues, resolveAttribute, type RawAttribute } from '../model/attributes.js';
import type { DirectoryContext, Identity } from '../context.js';
import { resolveClasses } from '../schema/entry-rules.js';
import { checkClashes } from '../conferences/clashes.js';
import { endsAtOf } from '../conferences/span.js';
import { requireLive } from './live.js';
import { completeEntry, storedForms } from './write-steps.js';
import { recordChange } from '../changes.js';
import { DirectoryError, ResultCode } from '../errors.js';
import type { AttributeInfo } from '../schema/schema-access.js';
import { grantTtl } from '../dynamic/ttl.js';

/** One change of a modify request. */
export interface Change {
  operation: 'add' | 'delete' | 'replace';
  modification: RawAttribute;
}

/** Applies the changes; returns the entry as stored afterwards. */
export function modify(ctx: DirectoryContext, identity: Identity, dnText: string, changes: readonly Change[]): StoredEntry {
  const name = ctx.names.parse(dnText);
  return ctx.entries.transaction(() => {
    const previous = requireLive(ctx, name, dnText);
    checkOwner(identity, previous, 'modify');
    const attributes = structuredClone(previous.attributes) as Record<string, string[]>;
    let expiresAt = previous.expiresAt;
    const rdnKeys = new Map<string, string[]>();
    for (const ava of name.dn[0] ?? []) {
      const attr = ctx.schema.attribute(ava.type)!;
      rdnKeys.set(attr.key, [...(rdnKeys.get(attr.key) ?? []), ctx.evaluator.assertion(attr, ava.value) ?? ava.value]);
    }
    const normal = (attr: AttributeInfo, v: string): string => (attr.binary ? v : (ctx.evaluator.assertion(attr, v) ?? v));

    for (const change of changes) {
      const attr = resolveAttribute(ctx, change.modification.type);
      const values = decodeValues(attr, change.modification.values);
      if (attr.key === 'entryttl') {
        if (change.operation !== 'replace' || values.length !== 1) {
          throw new DirectoryError(ResultCode.constraintViolation, 'entryTTL can only be replaced with one value (a refresh)');
        }
        if (expiresAt === null) throw new DirectoryError(ResultCode.objectClassViolation, 'entryTTL applies only to dynamic entries (objectClass dynamicObject)');
        expiresAt = ctx.now() + grantTtl(ctx.options.ttl, Number(values[0])) * 1000;
        continue;
      }
      if (attr.key !== 'objectclass') checkWritable(attr);
      const current = attributes[attr.key] ?? [];
      const currentNormal = current.map((v) => normal(attr, v));
      let next: string[];
      switch (change.operation) {
        case 'add': {
          if (values.length === 0) throw new DirectoryError(ResultCode.protocolError, `${attr.name}: a modify add needs at least one value`);
          const clash = values.find((v) => currentNormal.includes(normal(attr, v)));
          if (clash !== undefined) throw new DirectoryError(ResultCode.attributeOrValueExists, `${attr.name}: value '${clash}' already exists`);
          next = [...current, ...values];
          break;
        }
        case 'delete': {
          if (current.length === 0) throw new DirectoryError(ResultCode.noSuchAttribute, `${attr.name}: the entry has no such attribute`);
          if (values.length === 0) {
            next = [];
          } else {
            const drop = values.map((v) => normal(attr, v));
            const missing = values.find((_, i) => !currentNormal.includes(drop[i]!));
            if (missing !== undefined) throw new DirectoryError(ResultCode.noSuchAttribute, `${attr.name}: the entry has no value '${missing}'`);
            next = current.filter((_, i) => !drop.includes(currentNormal[i]!));
          }
          break;
        }
        case 'replace':
          next = values;
          break;
      }
      const rdnValues = rdnKeys.get(attr.key);
      if (rdnValues && !rdnValues.every((r) => next.some((v) => normal(attr, v) === r))) {
        throw new DirectoryError(ResultCode.notAllowedOnRDN, `${attr.name}: the value naming the entry (its RDN) cannot be removed`);
      }
      if (next.length === 0) delete attributes[attr.key];
      else attributes[attr.key] = next;
    }

    const before = resolveClasses(ctx.schema, previous.attributes.objectclass ?? []);
    const after = resolveClasses(ctx.schema, attributes.objectclass ?? []);
    if (after.structural.key !== before.structural.key) {
      throw new DirectoryError(ResultCode.objectClassModsProhibited, `the structural object class of an entry cannot change (${before.structural.name} to ${after.structural.name})`);
    }
    const wasDynamic = before.classes.some((c) => c.key === 'dynamicobject');
    const isDynamic = after.classes.some((c) => c.key === 'dynamicobject');
    if (wasDynamic !== isDynamic) {
      throw new DirectoryError(ResultCode.objectClassViolation, wasDynamic ? 'a dynamic entry cannot be made static (RFC 2589)' : 'a static entry cannot be made dynamic (RFC 2589)');
    }
    attributes.objectclass = [...new Set(after.classes.map((c) => c.name))];
    completeEntry(ctx, attributes);
    checkClashes(ctx, name.ndn, attributes);

    const forms = storedForms(ctx, attributes);
    const entry: StoredEntry = { ...previous, attributes, expiresAt, endsAt: endsAtOf(attributes, ctx.options.conferenceGrace), modifier: ownerOf(identity), modifiedAt: ctx.now(), encoded: forms.encoded };
    ctx.entries.update(entry, forms.index, forms.span, forms.groups);
    recordChange(ctx, { kind: 'modified', entry, previous });
    return entry;
  });
}
