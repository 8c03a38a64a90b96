/**
 * Password hashing for bind accounts: scrypt (RFC 7914) with a random salt, encoded with
 * its parameters so they can be raised later without breaking old hashes.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCallback(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));

/** scrypt's cost parameters: iterations (a power of 2), block size, parallelism. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 2^15 iterations, block size 8: about 100 ms and 32 MiB per hash on the reference machine. */
const PARAMS: ScryptParams = { N: 32768, r: 8, p: 1 };
const KEY_LENGTH = 32;

/**
 * Hashes a password: `$scrypt$N$r$p$salt$key` (base64). Accounts get 2^15 iterations;
 * the tests give theirs a lower cost, since every bind pays it.
 */
export async function hashPassword(password: string, params: ScryptParams = PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: 128 * params.N * params.r * 2 });
  return `$scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 7 || parts[1] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(2, 5).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[5]!, 'base64');
  const expected = Buffer.from(parts[6]!, 'base64');
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
  return timingSafeEqual(key, expected);
}
