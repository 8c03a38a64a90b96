/**
 * What a server says about itself in its root DSE (RFC 4512 §5.1) that the library needs:
 * its naming contexts, and whether it keeps dynamic entries (RFC 2589).
 */
import type { Client } from 'ldapts';
import { REFRESH_OID } from '../protocol/index.js';
import { EntryReader } from './entry.js';

/** The suffix ILS servers and TAPI clients use. */
export const ILS_SUFFIX = 'o=Intranet';

/** The root DSE facts the library uses. */
export interface ServerInfo {
  /** `namingContexts`; empty when the server did not say. */
  readonly namingContexts: readonly string[];
  /**
   * Whether entries must be refreshed: the server lists the RFC 2589 Refresh operation
   * or `dynamicSubtrees` (RFC 2589 §5; slapd's dds overlay does only the latter). A server
   * without a readable root DSE is taken to be an ILS server, which is dynamic.
   */
  readonly dynamic: boolean;
}

/**
 * Reads the root DSE. This is also the first request on a new connection, so socket
 * errors come out of here unchanged for the caller to report as a connection failure.
 */
export async function readServerInfo(client: Client): Promise<ServerInfo> {
  let entry: EntryReader | undefined;
  try {
    const { searchEntries } = await client.search('', {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['namingContexts', 'supportedExtension', 'dynamicSubtrees'],
    });
    entry = searchEntries[0] ? new EntryReader(searchEntries[0]) : undefined;
  } catch (error) {
    // An LDAPv2 server (ILS) may refuse the root DSE: that is an answer, not a failure.
    if (typeof (error as { code?: unknown }).code !== 'number') throw error;
  }
  if (!entry) return { namingContexts: [], dynamic: true };
  return {
    namingContexts: entry.texts('namingContexts'),
    dynamic: entry.texts('supportedExtension').includes(REFRESH_OID) || entry.texts('dynamicSubtrees').length > 0,
  };
}

/** The suffix to use: ILS's `o=Intranet` when the server holds it, else its first naming context. */
export function chooseSuffix(info: ServerInfo): string {
  return info.namingContexts.find((nc) => nc.replace(/\s+/g, '').toLowerCase() === ILS_SUFFIX.toLowerCase()) ?? info.namingContexts[0] ?? ILS_SUFFIX;
}
