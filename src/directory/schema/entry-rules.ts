/**
 * Schema rules for a whole entry (RFC 4512 §2.4): object classes, MUST and MAY, single values.
 */
import type { DirectoryContext } from '../context.js';
import { DirectoryError, ResultCode } from '../errors.js';
import type { ClassInfo } from './schema-access.js';

/** The entry's object classes resolved, with exactly one structural chain. */
export function resolveClasses(ctx: DirectoryContext, names: readonly string[]): { classes: ClassInfo[]; structural: ClassInfo } {
  if (names.length === 0) throw new DirectoryError(ResultCode.objectClassViolation, 'objectClass is required');
  const classes: ClassInfo[] = [];
  for (const name of names) {
    const oc = ctx.schema.objectClass(name);
    // invalidAttributeSyntax, as slapd answers an undefined object class.
    if (!oc) throw new DirectoryError(ResultCode.invalidAttributeSyntax, `objectClass: value '${name}' is not an object class defined in the schema`);
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
export function checkEntry(ctx: DirectoryContext, attributes: Readonly<Record<string, readonly string[]>>): void {
  const problem = ctx.schema.checkEntry(attributes.objectclass ?? [], attributes);
  if (problem) throw new DirectoryError(problem.code, problem.message);
}
