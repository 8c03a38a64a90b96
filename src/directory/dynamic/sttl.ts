/**
 * The ILS `(sttl=N)` filter term ([MS-TAIL] §3.2): a search that also refreshes the entries it
 * finds to N minutes. It is a request, not a condition, so it always matches.
 */
import { DirectoryError, ResultCode } from '../errors.js';
import type { Filter } from '../model/filter.js';
import type { SchemaAccess } from '../schema/schema-access.js';
import { STTL_KEY } from '../model/evaluate.js';

/**
 * The refresh a filter asks for, in seconds: from an `(sttl=N)` term alone or directly
 * inside the top-level AND, where ILS clients put it.
 *
 * @throws {@link DirectoryError} protocolError when N is not a positive whole number of minutes.
 */
export function sttlSeconds(schema: SchemaAccess, filter: Filter): number | undefined {
  const terms = filter.type === 'and' ? filter.filters : [filter];
  for (const term of terms) {
    if (term.type !== 'equality' || schema.attribute(term.attribute)?.key !== STTL_KEY) continue;
    if (!/^[0-9]+$/.test(term.value.trim()) || Number(term.value) <= 0) {
      throw new DirectoryError(ResultCode.protocolError, `sTTL must be a positive whole number of minutes, not '${term.value}'`);
    }
    return Number(term.value) * 60;
  }
  return undefined;
}
