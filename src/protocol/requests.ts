/**
 * The requests a client sends, encoded as protocol operations (wrap them with `message()`):
 * the ones the client library sends over its own connections, where ldapts cannot be used
 * (a live search reads intermediate responses and never finishes). The filter of a search
 * comes already encoded: turning RFC 4515 text into BER is the client's business.
 */
import { integer, octets, tlv } from './ber.js';
import { Op } from './message.js';

/** A simple bind (RFC 4511 §4.2), LDAPv3; anonymous with an empty DN and password. */
export function encodeSimpleBind(dn: string, password: string): Buffer {
  return tlv(Op.bindRequest, integer(3), octets(dn), octets(password, 0x80));
}

/** Search scopes (RFC 4511 §4.5.1.2). */
export const Scope = { base: 0, one: 1, sub: 2 } as const;

/** A SearchRequest's fields; `filter` is a whole encoded Filter element. */
export interface SearchRequestFields {
  base: string;
  scope: keyof typeof Scope;
  filter: Buffer;
  attributes: readonly string[];
  /** 0: no limit. */
  sizeLimit?: number;
  /** Seconds; 0: no limit. */
  timeLimit?: number;
  typesOnly?: boolean;
}

/** A SearchRequest (RFC 4511 §4.5.1), never dereferencing aliases. */
export function encodeSearchRequest(fields: SearchRequestFields): Buffer {
  return tlv(
    Op.searchRequest,
    octets(fields.base),
    integer(Scope[fields.scope], 0x0a),
    integer(0, 0x0a),
    integer(fields.sizeLimit ?? 0),
    integer(fields.timeLimit ?? 0),
    tlv(0x01, Buffer.from([fields.typesOnly ? 0xff : 0x00])),
    fields.filter,
    tlv(0x30, ...fields.attributes.map((a) => octets(a))),
  );
}

/** An ExtendedRequest (RFC 4511 §4.12) with an optional value. */
export function encodeExtendedRequest(oid: string, value?: Buffer): Buffer {
  return tlv(Op.extendedRequest, octets(oid, 0x80), ...(value ? [octets(value, 0x81)] : []));
}

/** An AbandonRequest (RFC 4511 §4.11) for the operation with message id `messageId`. */
export function encodeAbandonRequest(messageId: number): Buffer {
  return integer(messageId, Op.abandonRequest);
}

/** An UnbindRequest (RFC 4511 §4.3). */
export function encodeUnbindRequest(): Buffer {
  return tlv(Op.unbindRequest);
}
