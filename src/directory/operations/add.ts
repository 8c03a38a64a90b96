/**
 * Add (RFC 4511 §4.7), with the ILS conventions: RDN values are filled in when clients leave
 * them out, and application containers appear on first use. A conference gets no cn it was
 * not given: ILS names conferences by uid and people by cn, so TAPI's Find People, `(cn=*)`
 * one level below ou=dynamic ([MS-TAIL] §4.9.2), lists people only.
 */
import type { StoredEntry } from '../../store/index.js';
import { checkAdd, checkAddBelow, checkAnonymousAddIsDynamic, ownerOf } from '../access.js';
import { checkWritable, readAttributes, type RawAttribute } from '../model/attributes.js';
import type { DirectoryContext, Identity } from '../context.js';
import { EXTENSIBLE_OBJECT_OID } from '../schema/entry-check.js';
import { resolveClasses } from '../schema/entry-rules.js';
import { checkClashes, multicastOf, type BlobMulticast } from '../conferences/clashes.js';
import { keepClashFlags } from '../conferences/clash-flags.js';
import { endsAtOf } from '../conferences/span.js';
import { findLive, isLive, matchedDn } from './live.js';
import { completeEntry, encodedOf, indexRows, storedForms, type StoredForms } from './write-steps.js';
import { recordChange } from '../changes.js';
import { insert, SERVER_OWNER } from './insert.js';
import { ensureApplicationContainer, keepApplicationEntry } from './registrations.js';
import { OperationError, ResultCode } from '../errors.js';
import type { Name } from '../model/names.js';
import { formatDn } from '../model/dn.js';
import { isRelaxedSyntax, strictSyntaxProblem } from '../model/matching.js';

const DYNAMIC_OBJECT = 'dynamicobject';

/**
 * An add checked as far as it can be without reading the database: the name, access by
 * position, the attributes against the schema, the conference blob validated and its
 * derived attributes filled in. This is most of an add's work, and pure, so a worker
 * process does it before handing the write to the one process that writes
 * (src/server/workers.ts). Plain data: it crosses the IPC channel as it is.
 */
export interface PreparedAdd {
  readonly name: Name;
  /** Complete and checked; {@link commitAdd} may still flag clashes in them. */
  readonly attributes: Record<string, string[]>;
  readonly dynamic: boolean;
  /** Who adds it: only the owner of the parent (or an admin) adds below an entry that is not an open container. */
  readonly identity: Identity;
  /** Who will own the entry (the creator an ILS client's later changes are checked against). */
  readonly owner: string;
  /**
   * The attributes' stored forms and what their blob says of multicast, worked out with them:
   * the writing process, which every worker's writes queue on, need not redo it.
   */
  readonly forms: StoredForms;
  readonly multicast: BlobMulticast | undefined;
}

/** Checks an add as far as the database is not needed (see {@link PreparedAdd}). */
export function prepareAdd(ctx: DirectoryContext, identity: Identity, dnText: string, raw: readonly RawAttribute[]): PreparedAdd {
  const name = ctx.names.parse(dnText);
  if (name.ndn === '') throw new OperationError(ResultCode.unwillingToPerform, 'the root DSE cannot be added');
  checkAdd(ctx, identity, name);

  const input = readAttributes(ctx, raw);
  for (const { attr } of input.values()) if (attr.key !== 'objectclass') checkWritable(attr);
  if ([...input.values()].some(({ attr }) => attr.key === 'entryttl')) {
    throw new OperationError(ResultCode.constraintViolation, 'entryTTL cannot be given in an add; refresh the entry after adding it (modify entryTTL or the refresh operation)');
  }
  const { classes } = resolveClasses(ctx.schema, input.get('objectclass')?.values ?? []);
  const attributes: Record<string, string[]> = {};
  for (const [key, { values }] of input) attributes[key] = values;
  attributes.objectclass = [...new Set(classes.map((c) => c.name))];

  // The RDN's values belong to the entry: add those the client left out (ILS clients do).
  const allowed = new Set(classes.flatMap((c) => [...c.allowed]));
  const extensible = classes.some((c) => c.oid === EXTENSIBLE_OBJECT_OID);
  for (const ava of name.dn[0]!) {
    const attr = ctx.schema.attribute(ava.type)!;
    if (!extensible && !allowed.has(attr.key)) {
      throw new OperationError(ResultCode.namingViolation, `the RDN attribute '${attr.name}' is not allowed by the object classes ${classes.map((c) => c.name).join(', ')}`);
    }
    // A value the directory stores only by relaxing its syntax for ILS clients (NetMeeting's
    // c: -) may be an attribute's, not a name: a replica can leave such a value out of what it
    // stores, not out of a DN, and slapd refuses the DN (invalidDNSyntax) as it is refused here.
    const refused = isRelaxedSyntax(attr.rules.syntax) ? strictSyntaxProblem(attr.rules.syntax, ava.value) : undefined;
    if (refused !== undefined) throw new OperationError(ResultCode.invalidDNSyntax, `invalid DN '${dnText}': ${attr.name}: ${refused}`);
    const values = (attributes[attr.key] ??= []);
    const wanted = ctx.evaluator.assertion(attr, ava.value);
    if (!values.some((v) => ctx.evaluator.assertion(attr, v) === wanted)) {
      if (attr.singleValue && values.length > 0) {
        throw new OperationError(ResultCode.namingViolation, `the RDN value ${attr.name}=${ava.value} differs from the entry's ${attr.name}`);
      }
      values.push(ava.value);
    }
  }
  completeEntry(ctx, attributes);
  const dynamic = classes.some((c) => c.key === DYNAMIC_OBJECT);
  checkAnonymousAddIsDynamic(identity, dynamic);
  return {
    name,
    attributes,
    dynamic,
    identity,
    owner: ownerOf(identity),
    forms: storedForms(ctx, attributes),
    multicast: multicastOf(attributes),
  };
}

/**
 * Writes a prepared add: what needs the database (multicast clashes, an existing entry, the
 * parent) is checked in the same transaction as the insert. Returns the entry as stored.
 */
export function commitAdd(ctx: DirectoryContext, prepared: PreparedAdd): StoredEntry {
  const { name, attributes, dynamic, identity, owner } = prepared;
  // A clash flag added or removed changes the attributes, and so their encoding and index
  // rows; the span and groups come from the times and the blob, which it leaves alone.
  const forms = checkClashes(ctx, name.ndn, attributes, prepared.multicast) ? { ...prepared.forms, encoded: encodedOf(ctx, attributes), index: indexRows(ctx, attributes) } : prepared.forms;
  return ctx.entries.transaction(() => {
    const existing = ctx.entries.get(name.ndn);
    if (existing && isLive(ctx, existing)) {
      throw new OperationError(ResultCode.entryAlreadyExists, `entry already exists: ${name.text}`);
    }
    if (existing) {
      // Expired, and not deleted yet: expiry's deletion, made here.
      ctx.entries.delete(existing.id);
      recordChange(ctx, { kind: 'expired', entry: existing });
    }
    const parentName = ctx.names.parse(formatDn(name.dn.slice(1)));
    const parent = name.parent === '' ? undefined : (findLive(ctx, parentName) ?? ensureApplicationContainer(ctx, parentName));
    if (name.parent !== '' && !parent) {
      throw new OperationError(ResultCode.noSuchObject, `parent entry does not exist: ${formatDn(name.dn.slice(1))}`, matchedDn(ctx, name));
    }
    if (parent) checkAddBelow(ctx, identity, parentName, parent);
    if (!dynamic && parent && parent.expiresAt !== null) {
      throw new OperationError(ResultCode.constraintViolation, 'a static entry cannot be added below a dynamic entry (RFC 2589)');
    }
    const expiresAt = dynamic ? ctx.now() + ctx.options.ttl.defaultTtl * 1000 : null;
    const entry = insert(ctx, name, name.text, attributes, owner, expiresAt, forms);
    keepClashFlags(ctx, [entry]);
    keepApplicationEntry(ctx, entry);
    return entry;
  });
}

/** Adds an entry; returns it as stored. */
export function add(ctx: DirectoryContext, identity: Identity, dnText: string, raw: readonly RawAttribute[]): StoredEntry {
  return commitAdd(ctx, prepareAdd(ctx, identity, dnText, raw));
}

/** Adds a static entry as the server itself (the suffix and ILS containers), if missing. */
export function ensureEntry(ctx: DirectoryContext, dnText: string, attributes: Record<string, string[]>): void {
  const name = ctx.names.parse(dnText);
  if (ctx.entries.get(name.ndn)) return;
  insert(ctx, name, dnText, attributes, SERVER_OWNER, null);
}
