/**
 * The schema rules an entry being written must meet (RFC 4512 §2.4), as the directory's
 * operations refuse it: object classes resolved into one structural chain; MUST, MAY and
 * single values. The check itself is entry-check.ts's (a list of problems, reached through
 * {@link SchemaAccess.checkEntry}); here its first problem becomes an OperationError.
 */
import { OperationError, ResultCode } from '../errors.js';
import type { ClassInfo, SchemaAccess } from './schema-access.js';

/** The entry's object classes resolved, with exactly one structural chain. */
export function resolveClasses(schema: SchemaAccess, names: readonly string[]): { classes: ClassInfo[]; structural: ClassInfo } {
  if (names.length === 0) throw new OperationError(ResultCode.objectClassViolation, 'objectClass is required');
  const classes: ClassInfo[] = [];
  for (const name of names) {
    const oc = schema.objectClass(name);
    // invalidAttributeSyntax, as slapd answers an undefined object class.
    if (!oc) throw new OperationError(ResultCode.invalidAttributeSyntax, `objectClass: value '${name}' is not an object class defined in the schema`);
    classes.push(oc);
  }
  const structural = classes.filter((c) => c.kind === 'STRUCTURAL');
  if (structural.length === 0) throw new OperationError(ResultCode.objectClassViolation, `no structural object class among: ${names.join(', ')}`);
  // The most specific structural class must descend from every other structural one.
  const leaf = structural.find((s) => structural.every((o) => s.lineage.includes(o.key)));
  if (!leaf) {
    throw new OperationError(ResultCode.objectClassViolation, `structural object classes ${structural.map((s) => s.name).join(' and ')} are not one chain`);
  }
  return { classes, structural: leaf };
}

/** Checks MUST, MAY and SINGLE-VALUE for the complete set of user attributes. */
export function checkEntry(schema: SchemaAccess, attributes: Readonly<Record<string, readonly string[]>>): void {
  const problem = schema.checkEntry(attributes.objectclass ?? [], attributes);
  if (problem) throw new OperationError(problem.code, problem.message);
}
