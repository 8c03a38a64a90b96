/**
 * Refreshing a dynamic entry (RFC 2589), on any server.
 *
 * Two paths exist. The standard one is the Refresh extended operation; Rendezvous and
 * OpenLDAP's dds overlay implement it (slapd refuses the other path: entryTtl is
 * NO-USER-MODIFICATION there). ILS clients instead replaced `entryTTL` with a modify, an
 * Active Directory extension that old ILS servers know and Rendezvous accepts. So: the
 * extended operation first; when the server does not know it, the modify; the path that
 * worked is remembered for the connection.
 *
 * The granted TTL is read back from `entryTtl` rather than decoded from the extended
 * response: ldapts decodes response values as UTF-8 text, which destroys the BER bytes
 * (the [1] tag 0x81 alone is not valid UTF-8), and the modify path has no response value.
 */
import { Attribute, Change, type Client } from 'ldapts';
import { encodeRefreshRequest, REFRESH_OID } from '../protocol/index.js';
import { DirectoryError, fromLdapError, ResultCode } from './errors.js';
import { EntryReader } from './entry.js';

/** How a server is refreshed: the RFC 2589 extended operation, or a modify of entryTTL. */
export type RefreshPath = 'extended' | 'modify';

/** RFC 2589's bound on a TTL: one year. */
export const MAX_TTL = 31_557_600;

/**
 * Result codes meaning "no such operation here" for the extended operation: RFC 4511 §4.12
 * prescribes protocolError for an unknown request name; some servers say unwillingToPerform.
 */
const EXTENDED_UNSUPPORTED: ReadonlySet<number> = new Set([ResultCode.protocolError, ResultCode.unwillingToPerform]);

/** Refreshes entries over one connection, remembering which path the server takes. */
export class Refresher {
  readonly #client: Client;
  #path: RefreshPath | undefined;

  constructor(client: Client) {
    this.#client = client;
  }

  /** The path that worked, once one has. */
  get path(): RefreshPath | undefined {
    return this.#path;
  }

  /**
   * Asks for `ttl` seconds more for `dn`; resolves to the seconds granted (the requested
   * value when the server does not let the TTL be read back).
   *
   * @throws {@link DirectoryError} noSuchObject when the server has forgotten the entry,
   * or whatever else it refused.
   */
  async refresh(dn: string, ttl: number): Promise<number> {
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) throw new RangeError(`a TTL must be a whole number of seconds from 1 to ${MAX_TTL}, not ${ttl}`);
    if (this.#path !== 'modify') {
      try {
        await this.#client.exop(REFRESH_OID, encodeRefreshRequest(dn, ttl));
        this.#path = 'extended';
        return await this.#granted(dn, ttl);
      } catch (error) {
        const e = fromLdapError(error, dn);
        const unsupported = e instanceof DirectoryError && EXTENDED_UNSUPPORTED.has(e.code);
        if (this.#path === 'extended' || !unsupported) throw e;
      }
    }
    try {
      await this.#client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'entryTTL', values: [String(ttl)] }) }));
    } catch (error) {
      throw fromLdapError(error, dn);
    }
    this.#path = 'modify';
    return this.#granted(dn, ttl);
  }

  /** The entry's entryTtl now, or `requested` when it cannot be read. */
  async #granted(dn: string, requested: number): Promise<number> {
    try {
      const { searchEntries } = await this.#client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['entryTtl'] });
      const value = searchEntries[0] ? new EntryReader(searchEntries[0]).text('entryTtl') : undefined;
      const ttl = value === undefined ? NaN : Number(value);
      return Number.isInteger(ttl) && ttl > 0 ? ttl : requested;
    } catch {
      return requested;
    }
  }
}
