/**
 * Attribute input from clients: names resolved through the schema, values decoded and
 * checked against their syntax. Untrusted bytes become typed values here.
 */
import { DERIVED_KEYS, derivedWriteMessage } from '../conferences/derived.js';
import type { DirectoryContext } from '../context.js';
import { OperationError, ResultCode } from '../errors.js';
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

/**
 * Most attributes one add may list, a repeated type counted each time (ILS clients send about
 * twenty). With the two limits below it bounds what one write costs: an add listing 8,000
 * repeated types once stalled a worker for 37 s, a modify of 20,000 changes the primary for 28.
 */
export const MAX_ADD_ATTRIBUTES = 256;

/** Most values one attribute may hold: in a request, and in an entry once a write is applied. */
export const MAX_ATTRIBUTE_VALUES = 1024;

/** Most changes one modify may make. */
export const MAX_MODIFY_CHANGES = 256;

/** A client's text shortened for a message. */
const truncate = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}...` : s);

/** adminLimitExceeded. The messages do not count what is over: a decoder stops reading one past a limit. */
const overLimit = (message: string): OperationError => new OperationError(ResultCode.adminLimitExceeded, message);

/** Refuses values of one attribute over {@link MAX_ATTRIBUTE_VALUES}. */
function checkValueCount(description: string, count: number): void {
  if (count > MAX_ATTRIBUTE_VALUES) throw overLimit(`${truncate(description)}: more than ${MAX_ATTRIBUTE_VALUES} values; at most ${MAX_ATTRIBUTE_VALUES} are accepted`);
}

/**
 * Refuses an add over the limits ({@link MAX_ADD_ATTRIBUTES}, {@link MAX_ATTRIBUTE_VALUES}
 * per listed attribute), with adminLimitExceeded, looking at counts only. The protocol layer
 * checks each request as it decodes it, where it arrived.
 */
export function checkAddSize(raw: readonly RawAttribute[]): void {
  if (raw.length > MAX_ADD_ATTRIBUTES) throw overLimit(`an add may list at most ${MAX_ADD_ATTRIBUTES} attributes; this one lists more`);
  for (const r of raw) checkValueCount(r.type, r.values.length);
}

/** Refuses a modify over the limits ({@link MAX_MODIFY_CHANGES}, {@link MAX_ATTRIBUTE_VALUES} per change), like {@link checkAddSize}. */
export function checkModifySize(changes: ReadonlyArray<{ readonly modification: RawAttribute }>): void {
  if (changes.length > MAX_MODIFY_CHANGES) throw overLimit(`a modify may make at most ${MAX_MODIFY_CHANGES} changes; this one makes more`);
  for (const c of changes) checkValueCount(c.modification.type, c.modification.values.length);
}

/** Resolves an attribute description (`name;options`) or refuses it as undefinedAttributeType. */
export function resolveAttribute(ctx: DirectoryContext, description: string): AttributeInfo {
  const [name = '', ...options] = description.split(';');
  const attr = ctx.schema.attribute(name);
  if (!attr) throw new OperationError(ResultCode.undefinedAttributeType, `${truncate(name)}: attribute type undefined in the schema (see cn=Subschema)`);
  if (options.some((o) => o.toLowerCase() !== 'binary')) {
    throw new OperationError(ResultCode.undefinedAttributeType, `${truncate(description)}: attribute options are not supported`);
  }
  return attr;
}

/** The values of one attribute being read, with the normal forms of those read so far. */
interface ValuesRead {
  readonly values: string[];
  readonly seen: Set<string>;
}

/** Decodes and checks the values of one attribute. */
export function decodeValues(attr: AttributeInfo, raw: readonly Buffer[]): string[] {
  const read: ValuesRead = { values: [], seen: new Set() };
  addValues(attr, raw, read);
  return read.values;
}

/** Decodes and checks values of one attribute into `read`, refusing one given twice. */
function addValues(attr: AttributeInfo, raw: readonly Buffer[], read: ValuesRead): void {
  const { values, seen } = read;
  for (const buffer of raw) {
    let value: string;
    if (attr.binary) {
      value = buffer.toString('latin1');
    } else {
      value = buffer.toString('utf8');
      if (!Buffer.from(value, 'utf8').equals(buffer)) {
        throw new OperationError(ResultCode.invalidAttributeSyntax, `${attr.name}: value is not valid UTF-8`);
      }
      const problem = syntaxProblem(attr.rules.syntax, value);
      if (problem) throw new OperationError(ResultCode.invalidAttributeSyntax, `${attr.name}: ${problem}`);
    }
    const key = attr.binary ? value : (normalize(attr.rules, value) ?? value);
    if (seen.has(key)) {
      throw new OperationError(ResultCode.attributeOrValueExists, `${attr.name}: value '${truncate(value)}' is given twice`);
    }
    seen.add(key);
    values.push(value);
  }
}

/** Refuses writing attributes clients may not write: operational, derived. */
export function checkWritable(attr: AttributeInfo): void {
  if (DERIVED_KEYS.has(attr.key)) throw new OperationError(ResultCode.constraintViolation, derivedWriteMessage(attr.name));
  if (attr.noUserModification && !USER_WRITABLE_OPERATIONAL.has(attr.key)) {
    throw new OperationError(ResultCode.constraintViolation, `${attr.name} is maintained by the server and cannot be written`);
  }
}

/**
 * Resolves, decodes and checks a whole attribute list (an add), merging repeated names: each
 * value is decoded once (decoding the values read so far again for each repetition made an
 * add of repeated types cost the square of their number).
 */
export function readAttributes(ctx: DirectoryContext, raw: readonly RawAttribute[]): Map<string, ClientAttribute> {
  checkAddSize(raw);
  const out = new Map<string, ClientAttribute & ValuesRead>();
  for (const r of raw) {
    const attr = resolveAttribute(ctx, r.type);
    if (r.values.length === 0) throw new OperationError(ResultCode.protocolError, `${attr.name}: an attribute in an add request needs at least one value`);
    let read = out.get(attr.key);
    if (!read) out.set(attr.key, (read = { attr, values: [], seen: new Set() }));
    addValues(attr, r.values, read);
    checkValueCount(attr.name, read.values.length);
  }
  return out;
}
