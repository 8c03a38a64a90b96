/**
 * Distinguished names (RFC 4514): parsing the string form, and the normalised form the
 * directory compares and stores. Pure; attribute types are resolved by the caller's schema.
 */
import { OperationError, ResultCode } from '../errors.js';

/** One attribute value assertion of an RDN. */
export interface Ava {
  /** Attribute type as written (a name or a numeric OID). */
  type: string;
  /** The value, unescaped. */
  value: string;
}

/** An RDN: one or more AVAs joined with `+`. */
export type Rdn = Ava[];

/** A parsed DN, most specific RDN first (as written). */
export type Dn = Rdn[];

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Longest DN accepted, in bytes of UTF-8: slapd's limit (SLAP_LDAPDN_MAXLEN, 8,192; it
 * answers invalidDNSyntax past it too). A client's DN is kept, normalised and looked up: the
 * limit bounds what one name can cost and hold.
 */
export const MAX_DN_BYTES = 8192;

/**
 * Most RDNs in a DN. No entry can be deeper (an add is held to the same limit), so a longer
 * DN cannot name anything; the tree Rendezvous keeps is a handful deep. slapd has no such
 * limit of its own (its DNs stop at 8,192 bytes).
 */
export const MAX_DN_RDNS = 64;

/** Attribute type at the start of an AVA (sticky: matched where the parser stands, no copy of the rest). */
const TYPE = /[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*/y;
/** A hex-encoded BER value after its `#`. */
const HEX_VALUE = /#(?:[0-9a-fA-F]{2})+/y;

/**
 * Escaped bytes of a value as text. Only escapes can spell bytes that are not UTF-8 (a
 * character written as itself is whole), so they alone are checked.
 */
function utf8(text: string, bytes: number[]): string {
  const decoded = Buffer.from(bytes);
  const value = decoded.toString('utf8');
  if (!Buffer.from(value, 'utf8').equals(decoded)) throw invalid(text, 'value is not valid UTF-8');
  return value;
}

function invalid(text: string, why: string): OperationError {
  return new OperationError(ResultCode.invalidDNSyntax, `invalid DN '${text}': ${why}`);
}

/**
 * Refuses a DN over {@link MAX_DN_BYTES} or {@link MAX_DN_RDNS}, in one pass over it and
 * before any other work: the protocol layer checks each request's DN as it decodes it, so an
 * oversized one is refused where it arrived, not in the process that writes.
 *
 * @throws {@link OperationError} invalidDNSyntax saying which limit.
 */
export function checkDnSize(text: string): void {
  // A UTF-16 unit is at least one byte of UTF-8: only a text within the limit needs counting.
  const bytes = text.length > MAX_DN_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DN_BYTES) {
    throw new OperationError(ResultCode.invalidDNSyntax, `invalid DN: ${text.length > MAX_DN_BYTES ? 'more than ' : ''}${bytes} bytes long; at most ${MAX_DN_BYTES} are accepted`);
  }
  // RDNs are separated by unescaped commas (or semicolons); values hold no unescaped ones.
  let rdns = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 1;
    else if (c === 0x2c || c === 0x3b) rdns += 1;
  }
  if (rdns > MAX_DN_RDNS) throw new OperationError(ResultCode.invalidDNSyntax, `invalid DN: ${rdns} RDNs; at most ${MAX_DN_RDNS} are accepted (no entry is deeper)`);
}

/** The match of a sticky pattern at `at`, or undefined. */
function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

/**
 * Parses the string form of a DN, in time linear in its length. The empty string is the
 * root (an empty array).
 *
 * @throws {@link OperationError} invalidDNSyntax with the reason, or for a DN over the limits
 * ({@link checkDnSize}).
 */
export function parseDn(text: string): Dn {
  const dn: Dn = [];
  checkDnSize(text);
  if (text.trim() === '') return dn;
  let i = 0;
  const n = text.length;
  let rdn: Rdn = [];
  while (i <= n) {
    while (text[i] === ' ') i += 1;
    const type = matchAt(TYPE, text, i);
    if (type === undefined) throw invalid(text, `expected an attribute type at position ${i + 1}`);
    i += type.length;
    while (text[i] === ' ') i += 1;
    if (text[i] !== '=') throw invalid(text, `expected '=' after '${type}'`);
    i += 1;
    while (text[i] === ' ') i += 1;
    let value = '';
    if (text[i] === '#') {
      // hex-encoded BER value: kept as written; the directory compares it byte for byte.
      const hex = matchAt(HEX_VALUE, text, i);
      if (hex === undefined) throw invalid(text, 'bad hex value after #');
      value = hex;
      i += hex.length;
    } else {
      // The value as text: runs of characters as they are, and escaped bytes (\C3\A9) decoded
      // together when the run after them starts. A Buffer per character was most of what a
      // write allocated to read its DN.
      let escaped: number[] | undefined;
      let from = i;
      let trailingSpaces = 0;
      const flush = (): void => {
        if (escaped === undefined) return;
        value += utf8(text, escaped);
        escaped = undefined;
      };
      const plain = (to: number): void => {
        if (to === from) return;
        flush();
        value += text.slice(from, to);
      };
      while (i < n && text[i] !== ',' && text[i] !== '+' && text[i] !== ';') {
        const c = text[i]!;
        if (c === '\\') {
          plain(i);
          const next = text.slice(i + 1, i + 3);
          if (HEX.test(next)) {
            (escaped ??= []).push(Number.parseInt(next, 16));
            i += 3;
          } else if (i + 1 < n && ' "#+,;<=>\\'.includes(text[i + 1]!)) {
            flush();
            value += text[i + 1]!;
            i += 2;
          } else {
            throw invalid(text, `bad escape at position ${i + 1}`);
          }
          from = i;
          trailingSpaces = 0;
          continue;
        }
        if (c === '"' || c === '<' || c === '>' || c === '\0') throw invalid(text, `character '${c === '\0' ? 'NUL' : c}' must be escaped`);
        trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
        i += 1;
      }
      plain(i);
      flush();
      // Unescaped trailing spaces are not part of the value.
      value = value.slice(0, value.length - trailingSpaces);
    }
    rdn.push({ type, value });
    while (text[i] === ' ') i += 1;
    if (i >= n) {
      dn.push(rdn);
      break;
    }
    const sep = text[i];
    i += 1;
    if (sep === '+') continue;
    if (sep === ',' || sep === ';') {
      dn.push(rdn);
      rdn = [];
      if (i >= n) throw invalid(text, 'ends with a separator');
      continue;
    }
    throw invalid(text, `unexpected '${sep}'`);
  }
  return dn;
}

/** Escapes a value for the string form of a DN (RFC 4514 §2.4). */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\",+;<>=\0]/g, (c) => (c === '\0' ? '\\00' : `\\${c}`));
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The string form of a DN (types and values as given). */
export function formatDn(dn: Dn): string {
  return dn.map((rdn) => rdn.map((a) => `${a.type}=${escapeDnValue(a.value)}`).join('+')).join(',');
}
