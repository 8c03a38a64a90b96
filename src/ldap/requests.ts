/**
 * Requests decoded into the directory's typed values. Binds, extended operations, deletes
 * and abandons are read here directly (ldapjs mangles extended values and drops SASL binds);
 * searches, adds, modifies, compares and renames go through ldapjs's message parser, with
 * the DN read and checked here first so that a bad DN gets invalidDNSyntax, not a dropped
 * connection.
 */
import ldap from 'ldapjs';
import type { RawAttribute } from '../directory/attributes.js';
import type { Filter } from '../directory/filter.js';
import type { Change } from '../directory/operations/modify.js';
import type { Scope } from '../store/entries.js';
import { BerError, BerReader, integer, tlv } from './ber.js';
import { Op, type Envelope } from './protocol.js';

/** A decoded request. */
export type LdapRequest =
  | { type: 'bind'; version: number; name: string; auth: { kind: 'simple'; password: string } | { kind: 'sasl'; mechanism: string } }
  | { type: 'unbind' }
  | { type: 'search'; base: string; scope: Scope; sizeLimit: number; timeLimit: number; typesOnly: boolean; filter: Filter; attributes: string[] }
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

const SCOPES: Readonly<Record<number, Scope>> = { 0: 'base', 1: 'one', 2: 'sub' };

interface LdapjsParser {
  on(event: 'message', listener: (message: LdapjsMessage) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  write(data: Buffer): void;
}

/** The fields of ldapjs request objects that are read here. */
interface LdapjsMessage {
  scope?: number;
  sizeLimit?: number;
  timeLimit?: number;
  typesOnly?: boolean;
  filter?: unknown;
  attributes?: Array<string | { type: string; buffers: Buffer[] }>;
  changes?: Array<{ operation: string; modification: { type: string; buffers: Buffer[] } }>;
  attribute?: string;
  value?: string;
}

/** Decodes one protocol operation with ldapjs. */
function ldapjsDecode(messageId: number, op: Buffer): LdapjsMessage {
  const parser = new (ldap as unknown as { Parser: new () => LdapjsParser }).Parser();
  let decoded: LdapjsMessage | undefined;
  let failure: Error | undefined;
  parser.on('message', (m) => (decoded = m));
  parser.on('error', (e) => (failure = e));
  try {
    parser.write(tlv(0x30, integer(messageId), op));
  } catch (error) {
    failure = error as Error;
  }
  if (!decoded) throw new RequestError(`malformed request: ${failure?.message ?? 'cannot be decoded'}`);
  return decoded;
}

/** Converts an @ldapjs/filter object to the directory's filter. */
function toFilter(f: unknown): Filter {
  const node = f as Record<string, unknown> & { type: string };
  const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));
  switch (node.type) {
    case 'AndFilter':
      return { type: 'and', filters: (node.clauses as unknown[]).map(toFilter) };
    case 'OrFilter':
      return { type: 'or', filters: (node.clauses as unknown[]).map(toFilter) };
    case 'NotFilter':
      return { type: 'not', filter: toFilter(node.filter) };
    case 'EqualityFilter':
      return { type: 'equality', attribute: str(node.attribute), value: str(node.value) };
    case 'ApproximateFilter':
      return { type: 'approx', attribute: str(node.attribute), value: str(node.value) };
    case 'GreaterThanEqualsFilter':
      return { type: 'ge', attribute: str(node.attribute), value: str(node.value) };
    case 'LessThanEqualsFilter':
      return { type: 'le', attribute: str(node.attribute), value: str(node.value) };
    case 'PresenceFilter':
      return { type: 'present', attribute: str(node.attribute) };
    case 'SubstringFilter': {
      const out: Filter = { type: 'substrings', attribute: str(node.attribute), any: ((node.subAny as unknown[]) ?? []).map(str) };
      if (node.subInitial) out.initial = str(node.subInitial);
      if (node.subFinal) out.final = str(node.subFinal);
      return out;
    }
    case 'ExtensibleFilter': {
      const out: Filter = { type: 'extensible', value: str(node.matchValue), dnAttributes: node.dnAttributes === true };
      if (node.matchType) out.attribute = str(node.matchType);
      if (node.matchingRule) out.rule = str(node.matchingRule);
      return out;
    }
    default:
      throw new RequestError(`unsupported filter type ${node.type}`);
  }
}

const rawAttributes = (attrs: LdapjsMessage['attributes']): RawAttribute[] =>
  (attrs ?? []).map((a) => (typeof a === 'string' ? { type: a, values: [] } : { type: a.type, values: a.buffers }));

/** Decodes the operation of an envelope. */
export function decodeRequest(envelope: Envelope): LdapRequest {
  const { pdu, op, messageId } = envelope;
  const body = new BerReader(pdu, op.start, op.end);
  const opBytes = pdu.subarray(op.offset, op.end);
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
        const m = ldapjsDecode(messageId, opBytes);
        const scope = SCOPES[m.scope ?? -1];
        if (!scope) throw new RequestError('invalid search scope');
        return {
          type: 'search',
          base,
          scope,
          sizeLimit: m.sizeLimit ?? 0,
          timeLimit: m.timeLimit ?? 0,
          typesOnly: m.typesOnly === true,
          filter: toFilter(m.filter),
          attributes: (m.attributes ?? []).map(String),
        };
      }
      case Op.addRequest: {
        const dn = body.string();
        return { type: 'add', dn, attributes: rawAttributes(ldapjsDecode(messageId, opBytes).attributes) };
      }
      case Op.modifyRequest: {
        const dn = body.string();
        const m = ldapjsDecode(messageId, opBytes);
        const changes: Change[] = (m.changes ?? []).map((c) => ({
          operation: c.operation as Change['operation'],
          modification: { type: c.modification.type, values: c.modification.buffers },
        }));
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
