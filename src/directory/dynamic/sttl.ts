/**
 * The ILS `(sttl=N)` filter term ([MS-TAIL] §3.2): a search that also refreshes the entries it
 * finds to N minutes. It is a request, not a condition, so it always matches.
 *
 * The refresh is a write like the others: the protocol layer asks for it ({@link sttlRefreshOf})
 * and hands it to the Writer, which applies it in the one writing process, group-committed
 * ({@link refreshMatched}); the search then only reads, and its entryTTL values are the new ones.
 */
import type { EntryHead, StoredEntry } from '../../store/index.js';
import type { SearchScope } from '../operations/search.js';
import { mayChange } from '../access.js';
import type { DirectoryContext, Identity } from '../context.js';
import { OperationError, ResultCode } from '../errors.js';
import type { Filter } from '../model/filter.js';
import type { SchemaAccess } from '../schema/schema-access.js';
import { STTL_KEY } from '../model/evaluate.js';
import { matchingStored, type SearchRequest } from '../operations/search.js';
import { extendTtl } from './refresh.js';
import { grantTtl } from './ttl.js';

/** The refresh an sTTL search asks for: the entries it matches get `ttl` seconds (granted by the policy). Plain data, for IPC. */
export interface SttlRefresh {
  readonly base: string;
  readonly scope: SearchScope;
  readonly filter: Filter;
  readonly ttl: number;
}

/**
 * The refresh a filter asks for, in seconds: from an `(sttl=N)` term alone or directly
 * inside the top-level AND, where ILS clients put it.
 *
 * @throws {@link OperationError} protocolError when N is not a positive whole number of minutes.
 */
export function sttlSeconds(schema: SchemaAccess, filter: Filter): number | undefined {
  const terms = filter.type === 'and' ? filter.filters : [filter];
  for (const term of terms) {
    if (term.type !== 'equality' || schema.attribute(term.attribute)?.key !== STTL_KEY) continue;
    if (!/^[0-9]+$/.test(term.value.trim()) || Number(term.value) <= 0) {
      throw new OperationError(ResultCode.protocolError, `sTTL must be a positive whole number of minutes, not '${term.value}'`);
    }
    return Number(term.value) * 60;
  }
  return undefined;
}

/**
 * The refresh a search asks for, or undefined. A paged search is one search (RFC 2696): its
 * first page refreshes every entry it matches, and the pages after it ask for nothing.
 *
 * @throws {@link OperationError} protocolError for a malformed N, sizeLimitExceeded for a TTL
 *   above the server's maximum, before anything is written or read.
 */
export function sttlRefreshOf(ctx: DirectoryContext, request: Pick<SearchRequest, 'base' | 'scope' | 'filter' | 'afterId'>): SttlRefresh | undefined {
  const seconds = sttlSeconds(ctx.schema, request.filter);
  if (seconds === undefined) return undefined;
  const ttl = grantTtl(ctx.options.ttl, seconds);
  return request.afterId === undefined ? { base: request.base, scope: request.scope, filter: request.filter, ttl } : undefined;
}

/** The head of a stored entry, read by its fields (a scanned entry reads the rest of its row on demand). */
const headOf = (entry: StoredEntry): EntryHead => ({ id: entry.id, dn: entry.dn, path: entry.path, uuid: entry.uuid, creator: entry.creator, expiresAt: entry.expiresAt, endsAt: entry.endsAt });

/**
 * Refreshes the dynamic entries an sTTL search matches that the identity may change, in one
 * write transaction; returns how many. Static entries and others' entries are left alone, as
 * the search still returns them.
 */
export function refreshMatched(ctx: DirectoryContext, identity: Identity, refresh: SttlRefresh): number {
  return ctx.entries.transaction(() => {
    let refreshed = 0;
    for (const entry of matchingStored(ctx, refresh)) {
      if (entry.expiresAt === null || !mayChange(identity, entry)) continue;
      extendTtl(ctx, headOf(entry), refresh.ttl);
      refreshed += 1;
    }
    return refreshed;
  });
}
