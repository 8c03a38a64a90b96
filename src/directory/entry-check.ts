/**
 * Schema rules for a whole entry (RFC 4512 §2.4): object classes, MUST and MAY, single values.
 */
import type { DirectoryContext } from './context.js';
import { DirectoryError, ResultCode } from './errors.js';
import type { ClassInfo } from './schema-access.js';

/** The entry's object classes resolved, with exactly one structural chain. */
export function resolveClasses(ctx: DirectoryContext, names: readonly string[]): { classes: ClassInfo[]; structural: ClassInfo } {
  if (names.length === 0) throw new DirectoryError(ResultCode.objectClassViolation, 'objectClass is required');
  const classes: ClassInfo[] = [];
  for (const name of names) {
    const oc = ctx.schema.objectClass(name);
    if (!oc) throw new DirectoryError(ResultCode.objectClassViolation, `objectClass '${name}' is not defined in the schema`);
    classes.push(oc);
  }
  const structural = classes.filter((c) => c.kind === 'STRUCTURAL');
  if (structural.length === 0) throw new DirectoryError(ResultCode.objectClassViolation, `no structural object class among: ${names.join(', ')}`);
  // The most specific structural class must descend from every other structural one.
  const leaf = structural.find((s) => structural.every((o) => s.lineage.includes(o.key)));
  if (!leaf) {
    throw new DirectoryError(ResultCode.objectClassViolation, `structural object classes ${structural.map((s) => s.name).join(' and ')} are not one chain`);
  }
  return { classes, structural: leaf };
}

/** Checks MUST, MAY and SINGLE-VALUE for the complete set of user attributes. */
export function checkEntry(ctx: DirectoryContext, classes: readonly ClassInfo[], attributes: Readonly<Record<string, readonly string[]>>): void {
  const allowed = new Set<string>(['objectclass']);
  for (const c of classes) for (const a of c.allowed) allowed.add(a);
  for (const c of classes) {
    for (const must of c.must) {
      if (!attributes[must]?.length) {
        throw new DirectoryError(ResultCode.objectClassViolation, `object class '${c.name}' requires attribute '${ctx.schema.attribute(must)?.name ?? must}'`);
      }
    }
  }
  for (const [key, values] of Object.entries(attributes)) {
    const attr = ctx.schema.attribute(key);
    if (!attr) throw new DirectoryError(ResultCode.undefinedAttributeType, `${key}: attribute type undefined`);
    if (!attr.operational && !allowed.has(key)) {
      throw new DirectoryError(
        ResultCode.objectClassViolation,
        `attribute '${attr.name}' is not allowed by the object classes ${classes.map((c) => c.name).join(', ')}`,
      );
    }
    if (attr.singleValue && values.length > 1) {
      throw new DirectoryError(ResultCode.constraintViolation, `attribute '${attr.name}' is single-valued but has ${values.length} values`);
    }
  }
}
