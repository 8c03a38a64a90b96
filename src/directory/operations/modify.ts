/**
 * Modify (RFC 4511 §4.6): add, delete and replace applied in order, all or nothing.
 * Replacing entryTTL refreshes a dynamic entry, as ILS and Active Directory clients do.
 */
import type { StoredEntry } from '../../store/index.js';
import { checkOwner, ownerOf } from '../access.js';
import { checkWritable, decodeValues, resolveAttribute, type RawAttribute } from '../attributes.js';
import type { DirectoryContext, Identity } from '../context.js';
import { resolveClasses } from '../entry-check.js';
import { checkClashes, groupsOf } from '../clashes.js';
import { completeEntry, encodedOf, endsAtOf, indexRows, requireLive, spanOf } from '../entries.js';
import { DirectoryError, ResultCode } from '../errors.js';
import type { AttributeInfo } from '../schema-access.js';
import { RFC2589_MAX_TTL } from '../ttl.js';

/** One change of a modify request. */
export interface Change {
  operation: 'add' | 'delete' | 'replace';
  modification: RawAttribute;
}

/** Validates a requested TTL and applies the policy; returns seconds. */
export function grantTtl(ctx: DirectoryContext, requested: number): number {
  if (!Number.isInteger(requested) || requested <= 0 || requested > RFC2589_MAX_TTL) {
    throw new DirectoryError(ResultCode.protocolError, `entryTTL must be a whole number of seconds from 1 to ${RFC2589_MAX_TTL}`);
  }
  if (requested > ctx.options.ttl.maxTtl) {
    throw new DirectoryError(ResultCode.sizeLimitExceeded, `a TTL of ${requested} s is above this server's maximum of ${ctx.options.ttl.maxTtl} s`);
  }
  return Math.max(requested, ctx.options.ttl.minTtl);
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
        expiresAt = ctx.now() + grantTtl(ctx, Number(values[0])) * 1000;
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

    const before = resolveClasses(ctx, previous.attributes.objectclass ?? []);
    const after = resolveClasses(ctx, attributes.objectclass ?? []);
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

    const entry: StoredEntry = { ...previous, attributes, expiresAt, endsAt: endsAtOf(ctx, attributes), modifier: ownerOf(identity), modifiedAt: ctx.now(), encoded: encodedOf(ctx, attributes) };
    ctx.entries.update(entry, indexRows(ctx, attributes), spanOf(attributes), groupsOf(attributes));
    ctx.events.emit('modified', entry, previous);
    return entry;
  });
}
