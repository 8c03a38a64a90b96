/**
 * ILS stores a person's IPv4 address in `ipAddress` as the decimal value of the four bytes
 * read little-endian (10.70.41.96 → "1613317642"), because NetMeeting wrote the in_addr
 * DWORD of an x86 machine as a number. Applications see dotted quads; this is the edge.
 */
import { isIPv4 } from 'node:net';

/** A dotted IPv4 address as ILS stores it: `10.70.41.96` → `1613317642`. */
export function toIlsAddress(dotted: string): string {
  if (!isIPv4(dotted)) throw new TypeError(`'${dotted}' is not an IPv4 address (ILS stores IPv4 only)`);
  const bytes = dotted.split('.').map(Number);
  return String(bytes.reduceRight((value, byte) => value * 256 + byte, 0));
}

/**
 * The dotted address of an ILS `ipAddress` value, or undefined when the value is not a
 * 32-bit unsigned decimal. Some writers stored the DWORD as a signed int, so negative values
 * down to -2^31 are read as their unsigned equivalent.
 */
export function fromIlsAddress(value: string): string | undefined {
  if (!/^-?[0-9]{1,10}$/.test(value.trim())) return undefined;
  let n = Number(value.trim());
  if (n < 0) n += 2 ** 32;
  if (n < 0 || n >= 2 ** 32) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    bytes.push(n % 256);
    n = Math.floor(n / 256);
  }
  return bytes.join('.');
}
