/**
 * Checks an entry's object classes and attributes against the schema (RFC 4512 2.4, 2.5,
 * 3.3, 4.3): one structural chain, every required attribute present, nothing not allowed,
 * single-valued attributes with one value. Each problem carries the LDAP result code a
 * server answers with (the codes slapd uses) and a message for people.
 *
 * Deliberately NOT checked, as in slapd: DIT content rules (so any auxiliary class such as
 * dynamicObject may join any structural class), value syntax (see matching.ts) and naming.
 * The caller adds the RDN's attribute values to the entry first (RFC 4511 4.7: the entry's
 * attributes are those of the request "along with those from the RDN").
 *
 * @packageDocumentation
 */
import { ResultCode, type ResultCodeValue } from '../errors.js';
import type { AttributeType, ObjectClass } from './elements.js';

/** The lookups the check needs (a {@link Schema} has them). */
export interface SchemaLookup {
  attribute(nameOrOid: string): AttributeType | undefined;
  objectClass(nameOrOid: string): ObjectClass | undefined;
}

/** Attributes of an entry: attribute description (name or OID, options allowed) to values. */
export type EntryAttributes = ReadonlyMap<string, readonly unknown[]> | Readonly<Record<string, readonly unknown[]>>;

/** Options of {@link checkEntry}. */
export interface CheckEntryOptions {
  /**
   * The attributes come from a client (an Add request): also report attributes the client
   * may not supply (NO-USER-MODIFICATION, RFC 4512 4.1.2). Default false: a stored entry
   * may carry them.
   */
  userSupplied?: boolean;
}

interface ProblemBase {
  readonly resultCode: ResultCodeValue;
  /** What is wrong, in words. */
  readonly message: string;
}

/** One way an entry breaks the schema. */
export type EntryProblem =
  | (ProblemBase & { readonly kind: 'unknownObjectClass'; readonly objectClass: string })
  | (ProblemBase & { readonly kind: 'noStructuralObjectClass' })
  | (ProblemBase & { readonly kind: 'multipleStructuralObjectClasses'; readonly objectClasses: readonly string[] })
  | (ProblemBase & { readonly kind: 'unknownAttribute'; readonly attribute: string })
  | (ProblemBase & { readonly kind: 'missingRequiredAttribute'; readonly attribute: string; readonly objectClasses: readonly string[] })
  | (ProblemBase & { readonly kind: 'attributeNotAllowed'; readonly attribute: string })
  | (ProblemBase & { readonly kind: 'singleValueViolation'; readonly attribute: string; readonly count: number })
  | (ProblemBase & { readonly kind: 'noValues'; readonly attribute: string })
  | (ProblemBase & { readonly kind: 'noUserModification'; readonly attribute: string });

/** The kinds of {@link EntryProblem}. */
export type EntryProblemKind = EntryProblem['kind'];

/** extensibleObject (RFC 4512 §4.3): an entry of this class may hold any user attribute. */
export const EXTENSIBLE_OBJECT_OID = '1.3.6.1.4.1.1466.101.120.111';
const OBJECT_CLASS_OID = '2.5.4.0';

/** Splits an attribute description `type;opt1;opt2` into its type and lower-cased, sorted options. */
export function splitAttributeDescription(description: string): { type: string; options: string[] } {
  const [type = '', ...options] = description.trim().split(';');
  return { type, options: options.map((option) => option.toLowerCase()).sort() };
}

function entries(attributes: EntryAttributes): [string, readonly unknown[]][] {
  return attributes instanceof Map ? [...attributes.entries()] : Object.entries(attributes as Record<string, readonly unknown[]>);
}

/** Result of resolving an entry's objectClass values. */
export interface ObjectClassSet {
  /** The named classes and all their superclasses, without duplicates. */
  readonly classes: readonly ObjectClass[];
  /** Names that are not object classes of the schema. */
  readonly unknown: readonly string[];
  /** The most specific structural classes: exactly one for a well-formed entry. */
  readonly structural: readonly ObjectClass[];
}

/** Resolves objectClass values: superclasses added, unknown names set aside, structural leaves found. */
export function resolveObjectClasses(schema: SchemaLookup, names: Iterable<string | ObjectClass>): ObjectClassSet {
  const classes = new Map<string, ObjectClass>();
  const unknown: string[] = [];
  for (const name of names) {
    const objectClass = typeof name === 'string' ? schema.objectClass(name) : name;
    if (!objectClass) {
      unknown.push(name as string);
      continue;
    }
    for (const c of [objectClass, ...objectClass.superclasses]) if (!classes.has(c.oid)) classes.set(c.oid, c);
  }
  const structural = [...classes.values()].filter((c) => c.kind === 'STRUCTURAL');
  // A structural class that is a superclass of another one present is not a leaf.
  const leaves = structural.filter((c) => !structural.some((other) => other !== c && other.superclasses.includes(c)));
  return { classes: [...classes.values()], unknown, structural: leaves };
}

/**
 * Checks an entry. `objectClasses` are the values of its objectClass attribute (names or
 * OIDs, superclasses optional); `attributes` are its other attributes (an `objectClass` key
 * there is ignored). Returns every problem found; an empty array means the entry conforms.
 */
export function checkEntry(
  schema: SchemaLookup,
  objectClasses: readonly string[],
  attributes: EntryAttributes,
  options: CheckEntryOptions = {},
): EntryProblem[] {
  const problems: EntryProblem[] = [];
  const resolved = resolveObjectClasses(schema, objectClasses);
  for (const name of resolved.unknown) {
    // slapd answers invalidAttributeSyntax: an objectClass value must name a known class.
    problems.push({
      kind: 'unknownObjectClass',
      objectClass: name,
      resultCode: ResultCode.invalidAttributeSyntax,
      message: `objectClass: unknown object class '${name}'`,
    });
  }
  if (resolved.structural.length === 0) {
    if (resolved.unknown.length === 0) {
      problems.push({
        kind: 'noStructuralObjectClass',
        resultCode: ResultCode.objectClassViolation,
        message: `no structural object class among ${objectClasses.length === 0 ? '(none)' : objectClasses.join(', ')}`,
      });
    }
  } else if (resolved.structural.length > 1) {
    const names = resolved.structural.map((c) => c.name);
    problems.push({
      kind: 'multipleStructuralObjectClasses',
      objectClasses: names,
      resultCode: ResultCode.objectClassViolation,
      message: `more than one structural object class chain: ${names.join(', ')}`,
    });
  }

  // Attribute descriptions present, by type, and value counts by description.
  const present = new Map<string, AttributeType>();
  const counts = new Map<string, { type: AttributeType; written: string; count: number }>();
  for (const [description, values] of entries(attributes)) {
    const { type: typeName, options: attributeOptions } = splitAttributeDescription(description);
    const type = schema.attribute(typeName);
    if (!type) {
      problems.push({
        kind: 'unknownAttribute',
        attribute: description,
        resultCode: ResultCode.undefinedAttributeType,
        message: `unknown attribute type '${typeName}'`,
      });
      continue;
    }
    if (type.oid === OBJECT_CLASS_OID) continue;
    present.set(type.oid, type);
    const key = [type.oid, ...attributeOptions].join(';');
    const entry = counts.get(key) ?? { type, written: description, count: 0 };
    entry.count += values.length;
    counts.set(key, entry);
    if (values.length === 0) {
      problems.push({
        kind: 'noValues',
        attribute: description,
        resultCode: ResultCode.protocolError,
        message: `attribute '${description}' has no values`,
      });
    }
    if (options.userSupplied && type.noUserModification) {
      problems.push({
        kind: 'noUserModification',
        attribute: description,
        resultCode: ResultCode.constraintViolation,
        message: `attribute '${type.name}' is maintained by the server and cannot be supplied`,
      });
    }
  }

  // Required attributes (objectClass counts as present when the entry names classes).
  const missing = new Map<string, { type: AttributeType; classes: string[] }>();
  for (const objectClass of resolved.classes) {
    for (const type of objectClass.must) {
      const has = type.oid === OBJECT_CLASS_OID ? objectClasses.length > 0 : present.has(type.oid);
      if (has) continue;
      const record = missing.get(type.oid) ?? { type, classes: [] };
      record.classes.push(objectClass.name);
      missing.set(type.oid, record);
    }
  }
  for (const { type, classes } of missing.values()) {
    problems.push({
      kind: 'missingRequiredAttribute',
      attribute: type.name,
      objectClasses: classes,
      resultCode: ResultCode.objectClassViolation,
      message: `object class ${classes.map((c) => `'${c}'`).join(', ')} requires attribute '${type.name}'`,
    });
  }

  // Allowed attributes: user attributes only; operational ones are not governed by classes.
  const extensible = resolved.classes.some((c) => c.oid === EXTENSIBLE_OBJECT_OID);
  const allowed = new Set(resolved.classes.flatMap((c) => [...c.must, ...c.may]).map((type) => type.oid));
  // With an unknown class the allowed set is unknown too: that problem is reported alone.
  if (!extensible && resolved.unknown.length === 0) {
    for (const type of present.values()) {
      if (type.operational || allowed.has(type.oid)) continue;
      problems.push({
        kind: 'attributeNotAllowed',
        attribute: type.name,
        resultCode: ResultCode.objectClassViolation,
        message: `attribute '${type.name}' is not allowed by the object classes ${resolved.classes.map((c) => c.name).join(', ')}`,
      });
    }
  }

  for (const { type, written, count } of counts.values()) {
    if (type.singleValue && count > 1) {
      problems.push({
        kind: 'singleValueViolation',
        attribute: written,
        count,
        resultCode: ResultCode.constraintViolation,
        message: `attribute '${type.name}' is single-valued but has ${count} values`,
      });
    }
  }
  return problems;
}
