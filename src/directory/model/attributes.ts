/**
 * Attribute input from clients: names resolved through the schema, values decoded and
 * checked against their syntax. Untrusted bytes become typed values here.
 */
import { DERIVED_KEYS, derivedWriteMessage } from '../conferences/derived.js';
import type { DirectoryContext } from '../context.js';
import { DirectoryError, ResultCode } from '../errors.js';
import { normalize, syntaxProblem } from './matching.js';
import type { AttributeInfo } from '../schema/schema-access.js';

/** An attribute as a client sends it: a description and raw values. */
export interface RawAttribute {
  type: string;
  values: readonly Buffer[];
}

/** A resolved attribute with decoded values. */
export interface ClientAttribute {
  attr: AttributeInfo;
  values: string[];
}

/** Keys a client may write although the schema marks them NO-USER-MODIFICATION (RFC 2589 refresh by modify). */
const USER_WRITABLE_OPERATIONAL = new Set(['entryttl']);

/** Resolves an attribute description (`name;options`) or refuses it as undefinedAttributeType. */
export function resolveAttribute(ctx: DirectoryContext, description: string): AttributeInfo {
  const [name = '', ...options] = description.split(';');
  const attr = ctx.schema.attribute(name);
  if (!attr) throw new DirectoryError(ResultCode.undefinedAttributeType, `${name}: attribute type undefined in the schema (see cn=Subschema)`);
  if (options.some((o) => o.toLowerCase() !== 'binary')) {
    throw new DirectoryError(ResultCode.undefinedAttributeType, `${description}: attribute options are not supported`);
  }
  return attr;
}

/** Decodes and checks the values of one attribute. */
export function decodeValues(attr: AttributeInfo, raw: readonly Buffer[]): string[] {
  const values: string[] = [];
  const seen = new Set<string>();
  for (const buffer of raw) {
    let value: string;
    if (attr.binary) {
      value = buffer.toString('latin1');
    } else {
      value = buffer.toString('utf8');
      if (!Buffer.from(value, 'utf8').equals(buffer)) {
        throw new DirectoryError(ResultCode.invalidAttributeSyntax, `${attr.name}: value is not valid UTF-8`);
      }
      const problem = syntaxProblem(attr.rules.syntax, value);
      if (problem) throw new DirectoryError(ResultCode.invalidAttributeSyntax, `${attr.name}: ${problem}`);
    }
    const key = attr.binary ? value : (normalize(attr.rules, value) ?? value);
    if (seen.has(key)) {
      throw new DirectoryError(ResultCode.attributeOrValueExists, `${attr.name}: value '${truncate(value)}' is given twice`);
    }
    seen.add(key);
    values.push(value);
  }
  return values;
}

const truncate = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}...` : s);

/** Refuses writing attributes clients may not write: operational, derived. */
export function checkWritable(attr: AttributeInfo): void {
  if (DERIVED_KEYS.has(attr.key)) throw new DirectoryError(ResultCode.constraintViolation, derivedWriteMessage(attr.name));
  if (attr.noUserModification && !USER_WRITABLE_OPERATIONAL.has(attr.key)) {
    throw new DirectoryError(ResultCode.constraintViolation, `${attr.name} is maintained by the server and cannot be written`);
  }
}

/** Resolves, decodes and checks a whole attribute list (an add), merging repeated names. */
export function readAttributes(ctx: DirectoryContext, raw: readonly RawAttribute[]): Map<string, ClientAttribute> {
  const out = new Map<string, ClientAttribute>();
  for (const r of raw) {
    const attr = resolveAttribute(ctx, r.type);
    if (r.values.length === 0) throw new DirectoryError(ResultCode.protocolError, `${attr.name}: an attribute in an add request needs at least one value`);
    const existing = out.get(attr.key);
    const values = decodeValues(attr, existing ? [...existing.values.map((v) => Buffer.from(v, attr.binary ? 'latin1' : 'utf8')), ...r.values] : r.values);
    out.set(attr.key, { attr, values });
  }
  return out;
}
