/**
 * Parsers for option values, turning bad input into usage errors (exit code 2).
 */
import { readFile } from 'node:fs/promises';
import { CliError, UsageError } from './errors.js';

/** An integer option within bounds. */
export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?[0-9]+$/.test(value)) throw new UsageError(`${name} must be a whole number, not '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, not ${n}`);
    return n;
  };
}

/** The password from --password-file or the RENDEZVOUS_PASSWORD environment variable. */
export async function readPassword(passwordFile: string | undefined): Promise<string | undefined> {
  if (passwordFile !== undefined) {
    try {
      return (await readFile(passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new CliError(`cannot read the password file ${passwordFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  }
  return process.env.RENDEZVOUS_PASSWORD;
}
