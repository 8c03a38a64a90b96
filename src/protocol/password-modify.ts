/**
 * The values of the Password Modify extended operation (RFC 3062 §2), read and written as
 * bytes: what ldappasswd sends to change an account's password.
 */
import { BerError, BerReader, octets, tlv } from './ber.js';

/** A password modify request: each part may be left out (RFC 3062 §2). */
export interface PasswordModifyRequest {
  /** Whose password: the bound identity's own when absent. */
  readonly user?: string;
  readonly oldPassword?: string;
  /** The new password: the server generates one when absent. */
  readonly newPassword?: string;
}

/**
 * Reads a request's value: `SEQUENCE { userIdentity [0] OCTET STRING OPTIONAL, oldPasswd [1]
 * OCTET STRING OPTIONAL, newPasswd [2] OCTET STRING OPTIONAL }`, each at most once and in that
 * order; no value at all asks for everything's default.
 *
 * @throws {@link BerError} for anything else.
 */
export function decodePasswordModifyRequest(value: Buffer | undefined): PasswordModifyRequest {
  if (value === undefined || value.length === 0) return {};
  const r = new BerReader(value).enter(0x30);
  const parts: { user?: string; oldPassword?: string; newPassword?: string } = {};
  const fields = [
    [0x80, 'user'],
    [0x81, 'oldPassword'],
    [0x82, 'newPassword'],
  ] as const;
  let next = 0;
  while (!r.done) {
    const tag = r.peek();
    const at = fields.findIndex(([t]) => t === tag);
    if (at < next) throw new BerError(`unexpected tag 0x${tag?.toString(16)} in the password modify request`);
    parts[fields[at]![1]] = r.bytes(tag).toString('utf8');
    next = at + 1;
  }
  return parts;
}

/** The response value: `SEQUENCE { genPasswd [0] OCTET STRING OPTIONAL }`, with the password the server generated; none when the client gave one. */
export function encodePasswordModifyResponse(generated: string | undefined): Buffer | undefined {
  return generated === undefined ? undefined : tlv(0x30, octets(generated, 0x80));
}
