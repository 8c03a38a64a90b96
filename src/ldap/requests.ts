/**
 * Requests decoded into the directory's typed values, from BER read here rather than by
 * ldapjs's parser: it corrupts binary values in modify requests and extended operations,
 * escapes or Latin-1-decodes filter values inconsistently, lower-cases attribute types, and
 * drops the connection on SASL binds, malformed DNs, numeric-OID attribute lists and
 * modify-increment.
 */
import {
  checkAddSize,
  checkDnSize,
  checkModifySize,
  OperationError,
  MAX_ADD_ATTRIBUTES,
  MAX_ATTRIBUTE_VALUES,
  MAX_MODIFY_CHANGES,
  type Change,
  type Filter,
  type RawAttribute,
} from '../directory/index.js';
import { decodeFilter } from './filter-codec.js';
import type { SearchScope } from '../directory/index.js';
import { BerError, BerReader, Op, ResultCode, type Envelope } from '../protocol/index.js';

/** A decoded request. */
export type LdapRequest =
  | { type: 'bind'; version: number; name: string; auth: { kind: 'simple'; password: string } | { kind: 'sasl'; mechanism: string } }
  | { type: 'unbind' }
  | { type: 'search'; base: string; scope: SearchScope; sizeLimit: number; timeLimit: number; typesOnly: boolean; filter: Filter; attributes: string[] }
  | { type: 'add'; dn: string; attributes: RawAttribute[] }
  | { type: 'modify'; dn: string; changes: Change[] }
  | { type: 'delete'; dn: string }
  | { type: 'modifyDn'; dn: string }
  | { type: 'compare'; dn: string; attribute: string; value: Buffer }
  | { type: 'abandon'; messageId: number }
  | { type: 'extended'; oid: string; value: Buffer | undefined };

/** A request that could not be decoded: the session ends with a notice of disconnection. */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

const SCOPES: Readonly<Record<number, SearchScope>> = { 0: 'base', 1: 'one', 2: 'sub' };

/** How many attributes, and values of each, are worth reading of a request. */
interface ReadLimits {
  readonly attributes: number;
  readonly values: number;
}

/** A request's attributes are read one past the directory's limits: enough for it to refuse them, and no more. */
const REQUEST_LIMITS: ReadLimits = { attributes: MAX_ADD_ATTRIBUTES, values: MAX_ATTRIBUTE_VALUES };

/**
 * Reads `SEQUENCE OF PartialAttribute` (type and SET OF values) with raw value bytes; with
 * `limits`, it stops one attribute or value past them (what follows is not read: a request
 * that lists thousands is refused for the count, at the cost of reading the few allowed).
 */
export function readAttributes(list: BerReader, limits: ReadLimits = { attributes: Infinity, values: Infinity }): RawAttribute[] {
  const attributes: RawAttribute[] = [];
  while (!list.done && attributes.length <= limits.attributes) {
    const a = list.enter(0x30);
    const type = a.string();
    const set = a.enter(0x31);
    const values: Buffer[] = [];
    while (!set.done && values.length <= limits.values) values.push(Buffer.from(set.bytes(0x04)));
    if (!a.done) throw new RequestError('trailing data in an attribute');
    attributes.push({ type, values });
  }
  return attributes;
}

const OPERATIONS: Readonly<Record<number, Change['operation']>> = { 0: 'add', 1: 'delete', 2: 'replace' };

/**
 * Decodes the operation of an envelope, and refuses (keeping the session) a request over the
 * directory's limits on DNs, attributes and changes: checked here, in the process that
 * received it, such a request never reaches the process that writes.
 */
export function decodeRequest(envelope: Envelope): LdapRequest {
  const request = decodeOperation(envelope);
  switch (request.type) {
    case 'search':
      checkDnSize(request.base);
      break;
    case 'add':
      checkDnSize(request.dn);
      checkAddSize(request.attributes);
      break;
    case 'modify':
      checkDnSize(request.dn);
      checkModifySize(request.changes);
      break;
    case 'delete':
    case 'modifyDn':
    case 'compare':
      checkDnSize(request.dn);
      break;
    default:
  }
  return request;
}

function decodeOperation(envelope: Envelope): LdapRequest {
  const { pdu, op } = envelope;
  const body = new BerReader(pdu, op.start, op.end);
  try {
    switch (op.tag) {
      case Op.bindRequest: {
        const version = body.integer();
        const name = body.string();
        const tag = body.peek();
        if (tag === 0x80) return { type: 'bind', version, name, auth: { kind: 'simple', password: body.bytes(0x80).toString('utf8') } };
        if (tag === 0xa3) {
          const sasl = body.enter(0xa3);
          return { type: 'bind', version, name, auth: { kind: 'sasl', mechanism: sasl.string() } };
        }
        throw new RequestError('unknown authentication choice');
      }
      case Op.unbindRequest:
        return { type: 'unbind' };
      case Op.delRequest:
        return { type: 'delete', dn: pdu.subarray(op.start, op.end).toString('utf8') };
      case Op.abandonRequest:
        return { type: 'abandon', messageId: pdu.subarray(op.start, op.end).readUIntBE(0, Math.min(6, Math.max(1, op.end - op.start))) };
      case Op.extendedRequest: {
        const oid = body.bytes(0x80).toString('utf8');
        const value = body.peek() === 0x81 ? Buffer.from(body.bytes(0x81)) : undefined;
        return { type: 'extended', oid, value };
      }
      case Op.searchRequest: {
        const base = body.string();
        const scope = SCOPES[body.integer(0x0a)];
        if (!scope) throw new RequestError('invalid search scope');
        body.integer(0x0a); // derefAliases: there are no aliases here
        const sizeLimit = body.integer();
        const timeLimit = body.integer();
        const typesOnly = body.boolean();
        const filter = decodeFilter(body);
        const list = body.enter(0x30);
        const attributes: string[] = [];
        while (!list.done) attributes.push(list.string());
        if (!body.done) throw new RequestError('trailing data in the search request');
        if (sizeLimit < 0 || timeLimit < 0) throw new RequestError('negative search limit');
        return { type: 'search', base, scope, sizeLimit, timeLimit, typesOnly, filter, attributes };
      }
      case Op.addRequest: {
        const dn = body.string();
        return { type: 'add', dn, attributes: readAttributes(body.enter(0x30), REQUEST_LIMITS) };
      }
      case Op.modifyRequest: {
        const dn = body.string();
        const list = body.enter(0x30);
        const changes: Change[] = [];
        // One past the limit is enough to refuse the request (decodeRequest): the rest is not read.
        while (!list.done && changes.length <= MAX_MODIFY_CHANGES) {
          const c = list.enter(0x30);
          const code = c.integer(0x0a);
          const operation = OPERATIONS[code];
          const [modification] = readAttributes(new BerReader(c.buffer, c.offset, c.end), REQUEST_LIMITS);
          if (!modification) throw new RequestError('modify change without an attribute');
          if (operation === undefined) {
            // RFC 4525 increment (3) is well formed but not offered: refuse it, keep the session.
            throw new OperationError(ResultCode.unwillingToPerform, code === 3 ? 'the modify-increment operation (RFC 4525) is not supported' : `unknown modify operation ${code}`);
          }
          changes.push({ operation, modification });
        }
        return { type: 'modify', dn, changes };
      }
      case Op.compareRequest: {
        const dn = body.string();
        const ava = body.enter(0x30);
        return { type: 'compare', dn, attribute: ava.string(), value: Buffer.from(ava.bytes(0x04)) };
      }
      case Op.modDnRequest:
        return { type: 'modifyDn', dn: body.string() };
      default:
        throw new RequestError(`unknown operation 0x${op.tag.toString(16)}`);
    }
  } catch (error) {
    if (error instanceof BerError) throw new RequestError(`malformed request: ${error.message}`);
    throw error;
  }
}
