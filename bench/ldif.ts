/**
 * The data set as LDIF for slapadd: the suffix and container entries, then every entry with
 * the attributes slapd must be given explicitly (see data.ts). Streamed to a file, because
 * the 1,000,000-conference set is about a gigabyte of text.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { ldifLine } from '../test/helpers/ldap-tools.js';
import { CONTAINER, SUFFIX, entries, type Attributes, type DataSet } from './data.js';

/** The entries slapd needs before the data (Rendezvous has them built in). */
export const BASE_ENTRIES: ReadonlyArray<{ dn: string; attributes: Attributes }> = [
  { dn: SUFFIX, attributes: [['objectClass', ['organization']], ['o', ['Intranet']]] },
  { dn: CONTAINER, attributes: [['objectClass', ['organizationalUnit']], ['ou', ['dynamic']]] },
];

/** One LDIF content record (values that are not safe strings, like SDP's CRLF, in base64). */
export function ldifRecord(dn: string, attributes: Attributes): string {
  let text = ldifLine('dn', dn);
  for (const [name, values] of attributes) for (const value of values) text += ldifLine(name, value);
  return `${text}\n`;
}

/** Writes the base entries and the data set; resolves with the number of data entries. */
export async function writeLdif(path: string, set: DataSet): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  for (const base of BASE_ENTRIES) out.write(ldifRecord(base.dn, base.attributes));
  for (const entry of entries(set)) {
    if (!out.write(ldifRecord(entry.dn, [...entry.attributes, ...entry.derived]))) await once(out, 'drain');
    count += 1;
  }
  out.end();
  await once(out, 'finish');
  return count;
}
