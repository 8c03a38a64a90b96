/**
 * What a replica can store of an entry: its attributes without the values a server that checks
 * every value's syntax as RFC 4517 defines it refuses ({@link strictSyntaxProblem}). The
 * directory stores such values for ILS clients (NetMeeting's `c: -`) and shows them to every
 * search; RFC 4533 content sync, the replication protocol, sends an entry this way, because a
 * stock OpenLDAP slapd consumer refuses the whole entry for one such value and its replication
 * stalls there.
 */
import type { StoredAttributes } from '../../store/index.js';
import { isRelaxedSyntax, strictSyntaxProblem } from './matching.js';

/**
 * `attributes` without the values a replica refuses by their syntax, an attribute left with no
 * value left out whole; the same object when nothing is left out (the common case, found
 * without copying). Only attributes of a syntax the directory relaxes are looked at: every other
 * value was checked strictly when it was written.
 *
 * @param syntaxOf - the syntax OID of an attribute by its key (undefined: unknown, kept).
 */
export function replicableAttributes(attributes: StoredAttributes, syntaxOf: (key: string) => string | undefined): StoredAttributes {
  let out: Record<string, readonly string[]> | undefined;
  for (const key in attributes) {
    const syntax = syntaxOf(key);
    if (!isRelaxedSyntax(syntax)) continue;
    const values = attributes[key]!;
    const kept = values.filter((value) => strictSyntaxProblem(syntax, value) === undefined);
    if (kept.length === values.length) continue;
    out ??= { ...attributes };
    if (kept.length === 0) delete out[key];
    else out[key] = kept;
  }
  return out ?? attributes;
}
