/**
 * Multicast addresses as numbers: IPv4 and IPv6 text to and from bigints and wire bytes, so
 * that scopes, pools and leases can do arithmetic on them. Nothing here knows about scopes.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Address families, with their IANA numbers as MADCAP carries them (RFC 2730 §2.1, the header's `addrfamily`). */
export type Family = 'ipv4' | 'ipv6';

/** IANA address family numbers (RFC 1700 / iana.org "Address Family Numbers"). */
export const FAMILY_NUMBER: Readonly<Record<Family, number>> = { ipv4: 1, ipv6: 2 };

/** The family of an IANA address family number, or undefined for any other. */
export function familyOfNumber(n: number): Family | undefined {
  return n === 1 ? 'ipv4' : n === 2 ? 'ipv6' : undefined;
}

/** Bytes of an address of the family on the wire. */
export const ADDRESS_LENGTH: Readonly<Record<Family, number>> = { ipv4: 4, ipv6: 16 };

/** Bits of an address of the family. */
export const ADDRESS_BITS: Readonly<Record<Family, number>> = { ipv4: 32, ipv6: 128 };

/** An address as a number, with its family. */
export interface NumericAddress {
  readonly family: Family;
  readonly value: bigint;
}

/** Parses IPv4 or IPv6 text; undefined when it is neither (zone indexes are refused). */
export function parseAddress(text: string): NumericAddress | undefined {
  if (isIPv4(text)) {
    return { family: 'ipv4', value: text.split('.').reduce((v, octet) => (v << 8n) | BigInt(octet), 0n) };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  let tail32: bigint | undefined;
  // An embedded IPv4 suffix (::ffff:1.2.3.4) stands for the last two groups.
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail32 = parseAddress(dotted[1]!)!.value;
    head = `${text.slice(0, dotted.index)}:0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  let value = all.reduce((v, g) => (v << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  if (tail32 !== undefined) value = (value & ~0xffffffffn) | tail32;
  return { family: 'ipv6', value };
}

/** Canonical text (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

/** The canonical form of address text, or undefined when it is not an address. */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  return a && formatAddress(a.family, a.value);
}

/** Network-order bytes of an address. */
export function addressBytes(family: Family, value: bigint): Buffer {
  const bytes = Buffer.alloc(ADDRESS_LENGTH[family]);
  let v = value;
  for (let i = bytes.length - 1; i >= 0; i -= 1) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

/** The number of network-order bytes. */
export function bytesToValue(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Is this number an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address? */
export function isMulticastValue(family: Family, value: bigint): boolean {
  return family === 'ipv4' ? value >> 28n === 0xen : value >> 120n === 0xffn;
}
