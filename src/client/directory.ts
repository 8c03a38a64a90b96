/**
 * A directory of conferences and users (TAPI's ITDirectory), over LDAP with ldapts.
 *
 * It speaks only standard LDAP plus RFC 2589, so it works with any server that has the
 * ILS schema loaded: Rendezvous, OpenLDAP with the dds overlay, an ILS server. Nothing
 * server-specific is computed or expected: conferences are written as their blob, and read
 * back from it.
 */
import type { ConnectionOptions } from 'node:tls';
import { Attribute, Change, Client, Filter } from 'ldapts';
import { Conference, CONFERENCE_SCHEMA } from './conference.js';
import { EntryReader, sameValues, type AttributeValue } from './entry.js';
import { AlreadyConnectedError, ConnectError, DirectoryError, fromLdapError, NotConnectedError, ResultCode, socketReason } from './errors.js';
import { TaskTimers } from './keep-alive.js';
import { childDn, namePatternFilter } from './names.js';
import { DirectoryObject, ENCODE, RDN, STORED, type DirectoryObjectType, type ObjectSchema } from './object.js';
import { MAX_TTL, Refresher, type RefreshPath } from './refresh.js';
import { chooseSuffix, readServerInfo, type ServerInfo } from './server-info.js';
import { candidateUrls } from './server-url.js';
import type { WatchEvent } from './sync-consumer.js';
import { User, USER_SCHEMA } from './user.js';
import { watchDirectory, type WatchOptions } from './watch.js';

/** TAPI's minimum DefaultObjectTTL, in seconds. */
export const MIN_OBJECT_TTL = 300;
/** The TTL ILS clients ask for, in seconds: thirty minutes. */
export const DEFAULT_OBJECT_TTL = 1800;

/** The object classes {@link Directory.enumerate} yields, by type. */
export interface DirectoryObjects {
  conference: Conference;
  user: User;
}

/** What happened to one object kept alive by {@link Directory.enableAutoRefresh}. */
export type AutoRefreshEvent =
  /** Refreshed; `ttl` seconds granted. */
  | { kind: 'refreshed'; object: DirectoryObject; ttl: number }
  /** The server had forgotten it (noSuchObject), so it was added again (RFC 2589 §4.4). */
  | { kind: 'recreated'; object: DirectoryObject; ttl: number }
  /** The refresh failed; it is retried sooner than a normal refresh. */
  | { kind: 'failed'; object: DirectoryObject; error: Error };

/** Settings of a {@link Directory}; all optional. */
export interface DirectoryOptions {
  /** Naming context; default `o=Intranet` when the server holds it, else its first naming context. */
  suffix?: string;
  /** Where conferences and users live; default `ou=dynamic,<suffix>`, as ILS. */
  container?: string;
  /** Limit on each operation, ms (default 30000). */
  timeoutMs?: number;
  /** Limit on establishing the connection, ms (default 10000). */
  connectTimeoutMs?: number;
  /** Entries per page when enumerating (default 100). */
  pageSize?: number;
  /**
   * When to refresh an auto-refreshed object, in ms, given the TTL the server granted in
   * seconds. Default: half the TTL, so one lost refresh still leaves time for the next.
   */
  refreshDelay?: (ttlSeconds: number) => number;
  /** Told about every automatic refresh, re-creation and failure. */
  onAutoRefresh?: (event: AutoRefreshEvent) => void;
  /** The largest message a watch accepts from the server, in bytes (default 16 MiB). */
  maxMessageSize?: number;
}

/** Default of {@link DirectoryOptions.maxMessageSize}. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/** How to connect. */
export interface ConnectOptions {
  /**
   * TLS (TAPI's fSecure): `ldaps://` URLs always use it; with `secure`, an `ldap://` URL is
   * upgraded with StartTLS and a bare host name is tried as `ldaps://host:636`.
   */
  secure?: boolean;
  /** Options for the TLS layer (CA, client certificate, servername...). */
  tls?: ConnectionOptions;
}

/** Options of {@link Directory.enumerate}. */
export interface EnumerateOptions {
  /**
   * Told about entries that cannot be read as objects (a conference whose blob is not SDP)
   * instead of failing the whole enumeration; by default they are skipped silently.
   */
  onInvalid?: (dn: string, error: Error) => void;
}

const SCHEMAS: Readonly<Record<DirectoryObjectType, ObjectSchema>> = { conference: CONFERENCE_SCHEMA, user: USER_SCHEMA };

function decode(type: DirectoryObjectType, entry: EntryReader): DirectoryObject {
  return type === 'conference' ? Conference.fromEntry(entry) : User.fromEntry(entry);
}

/**
 * The filter item for names matching `pattern` (`*` the only wildcard); a user's pattern
 * matches the name with or without the IP phone part.
 */
function nameFilter(type: DirectoryObjectType, pattern: string): string {
  const attribute = SCHEMAS[type].rdnAttribute;
  const filter = namePatternFilter(attribute, pattern);
  return type === 'user' && !pattern.endsWith('*') ? `(|${filter}${namePatternFilter(attribute, `${pattern}]*`)})` : filter;
}

/** The attributes to send in an add: objectClass first, absent ones left out. */
function addAttributes(objectClasses: string[], attributes: ReadonlyMap<string, readonly AttributeValue[]>): Attribute[] {
  const list = [new Attribute({ type: 'objectClass', values: objectClasses })];
  for (const [type, values] of attributes) if (values.length > 0) list.push(new Attribute({ type, values: [...values] as string[] | Buffer[] }));
  return list;
}

/** A live connection and what was learnt when it was made. */
interface Session {
  readonly client: Client;
  readonly url: string;
  readonly info: ServerInfo;
  readonly container: string;
  /** TLS was negotiated with StartTLS, which ldapts would not renegotiate after reconnecting. */
  readonly startTls: boolean;
  readonly refresher: Refresher;
  readonly timers: TaskTimers<DirectoryObject>;
  /** TLS options given to connect(), for the connections of watches. */
  readonly tls: ConnectionOptions | undefined;
  /** The identity of the last successful bind, for the connections of watches. */
  credentials: { dn: string; password: string } | undefined;
}

/**
 * A directory server holding conferences and users.
 *
 * @example
 * ```ts
 * const directory = await Directory.connect('ldap://ils.example.org:1002');
 * await directory.bind('cn=alice,ou=accounts,o=Intranet', password);
 * directory.enableAutoRefresh(true);
 * await directory.add(Conference.create({ name: 'weekly-sync', address: '239.1.2.3' }));
 * for await (const conference of directory.enumerate('conference', 'week*')) {
 *   console.log(conference.name, conference.startTime, conference.advertisingScope);
 * }
 * await directory.close();
 * ```
 */
export class Directory {
  readonly #options: DirectoryOptions;
  #session: Session | undefined;
  #ttl = DEFAULT_OBJECT_TTL;
  #autoRefresh = false;
  /** Objects this Directory added and has not deleted, with the TTL last granted. */
  readonly #added = new Map<DirectoryObject, number>();

  constructor(options: DirectoryOptions = {}) {
    this.#options = options;
  }

  /** Creates a Directory and connects it. */
  static async connect(target: string, options: DirectoryOptions & ConnectOptions = {}): Promise<Directory> {
    const directory = new Directory(options);
    await directory.connect(target, options);
    return directory;
  }

  /**
   * Connects to `target`: an `ldap://` or `ldaps://` URL, or a bare host name, for which
   * the ILS ports 1002 then 389 are tried, as TAPI's Rendezvous control did. Reads the
   * root DSE to learn the naming context and whether entries are dynamic.
   *
   * @throws {@link AlreadyConnectedError} when connected already.
   * @throws {@link ConnectError} when no candidate address answers.
   * @throws TypeError when `target` is neither a URL nor a host name.
   */
  async connect(target: string, options: ConnectOptions = {}): Promise<void> {
    if (this.#session) throw new AlreadyConnectedError(this.#session.url);
    const urls = candidateUrls(target, options.secure === true);
    let failure: { url: string; reason: string; error: unknown } | undefined;
    for (const url of urls) {
      const client = new Client({
        url,
        timeout: this.#options.timeoutMs ?? 30_000,
        connectTimeout: this.#options.connectTimeoutMs ?? 10_000,
        // ldapts opens TLS at once whenever it has TLS options: give them to startTLS() instead for ldap://.
        tlsOptions: url.startsWith('ldaps:') ? options.tls : undefined,
        // ldapts reconnects by itself after a dropped connection; the bind must follow.
        autoRebind: true,
      });
      try {
        const startTls = options.secure === true && url.startsWith('ldap:');
        // ldapts checks the certificate against 'localhost' unless told the host.
        if (startTls) await client.startTLS({ host: new URL(url).hostname, ...options.tls });
        const info = await readServerInfo(client);
        const suffix = this.#options.suffix ?? chooseSuffix(info);
        this.#session = {
          client,
          url,
          info,
          container: this.#options.container ?? `ou=dynamic,${suffix}`,
          startTls,
          refresher: new Refresher(client),
          timers: new TaskTimers((object) => this.#keepAlive(object)),
          tls: options.tls,
          credentials: undefined,
        };
        return;
      } catch (error) {
        await client.unbind().catch(() => undefined);
        const reason = socketReason(error);
        if (reason === undefined) throw fromLdapError(error);
        failure = { url, reason, error };
      }
    }
    const where = urls.length === 1 ? urls[0]! : urls.join(' or ');
    throw new ConnectError(where, failure?.reason ?? 'no address to try', { cause: failure?.error });
  }

  /** Whether `connect()` succeeded and `close()` has not been called. */
  get isConnected(): boolean {
    return this.#session !== undefined;
  }

  /** The URL connected to. @throws {@link NotConnectedError} */
  get url(): string {
    return this.#require().url;
  }

  /** Where conferences and users live, e.g. `ou=dynamic,o=Intranet`. @throws {@link NotConnectedError} */
  get container(): string {
    return this.#require().container;
  }

  /**
   * Whether objects on this server expire unless refreshed (TAPI's IsDynamic): the server
   * offers RFC 2589 dynamic entries. Objects are then added with objectClass dynamicObject.
   *
   * @throws {@link NotConnectedError}
   */
  get isDynamic(): boolean {
    return this.#require().info.dynamic;
  }

  /** How this server has been refreshed so far (`extended` operation or `modify` of entryTTL). */
  get refreshPath(): RefreshPath | undefined {
    return this.#session?.refresher.path;
  }

  /** The TTL, in seconds, asked for objects this Directory adds and refreshes; default 1800. */
  get defaultObjectTTL(): number {
    return this.#ttl;
  }

  /** @throws RangeError below TAPI's minimum of 300 s, above RFC 2589's one year, or not whole. */
  set defaultObjectTTL(seconds: number) {
    if (!Number.isInteger(seconds) || seconds < MIN_OBJECT_TTL || seconds > MAX_TTL) {
      throw new RangeError(`the default object TTL must be a whole number of seconds from ${MIN_OBJECT_TTL} to ${MAX_TTL}, not ${seconds}`);
    }
    this.#ttl = seconds;
  }

  /** Whether objects this Directory added are being kept alive. */
  get autoRefresh(): boolean {
    return this.#autoRefresh;
  }

  /**
   * Binds as `dn` with `password`, or anonymously with neither. Operations after it run
   * with that identity, also after ldapts reconnects by itself.
   *
   * @throws TypeError for a DN without a password (an unauthenticated bind, RFC 4513 §5.1.2, which would silently be anonymous).
   * @throws {@link DirectoryError} invalidCredentials and the like.
   */
  async bind(dn?: string, password?: string): Promise<void> {
    const session = this.#live();
    const { client } = session;
    if (dn && !password) throw new TypeError(`a password is required to bind as ${dn}`);
    try {
      await client.bind(dn ?? '', password ?? '');
    } catch (error) {
      throw fromLdapError(error, dn || undefined);
    }
    session.credentials = dn ? { dn, password: password! } : undefined;
  }

  /**
   * Adds an object under the container. On a dynamic server it is added with objectClass
   * dynamicObject and then refreshed to {@link defaultObjectTTL}, as TAPI did.
   *
   * @throws {@link DirectoryError} (entryAlreadyExists, insufficientAccessRights, invalidAttributeSyntax...).
   * @throws SdpError when a conference's blob was edited into something invalid.
   */
  async add(object: DirectoryObject): Promise<void> {
    const session = this.#live();
    const { schema, rdn, attributes } = object[ENCODE]();
    const dn = childDn(schema.rdnAttribute, rdn, session.container);
    const classes = session.info.dynamic ? [schema.objectClass, 'dynamicObject'] : [schema.objectClass];
    try {
      await session.client.add(dn, addAttributes(classes, attributes));
    } catch (error) {
      throw fromLdapError(error, dn);
    }
    object[STORED] = { dn, attributes };
    if (!session.info.dynamic) return;
    // Tracked before the first refresh, so that auto-refresh retries it if that fails.
    this.#added.set(object, this.#ttl);
    if (this.#autoRefresh) session.timers.schedule(object, this.#refreshDelay(this.#ttl));
    await this.refresh(object);
  }

  /**
   * Writes what changed in an object since it was added or read (for a conference, its
   * blob, with the session version raised). Nothing is sent when nothing changed.
   *
   * @throws TypeError when the object is not stored in a directory.
   * @throws {@link DirectoryError} when the server refuses.
   */
  async modify(object: DirectoryObject): Promise<void> {
    const session = this.#live();
    const stored = object[STORED];
    if (!stored) throw new TypeError(`the ${object.type} ${object.name} is not in the directory; add it first`);
    const { attributes } = object[ENCODE]();
    const changes = [...attributes]
      .filter(([type, values]) => !sameValues(values, stored.attributes.get(type)))
      .map(([type, values]) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [...values] as string[] | Buffer[] }) }));
    if (changes.length === 0) return;
    try {
      await session.client.modify(stored.dn, changes);
    } catch (error) {
      throw fromLdapError(error, stored.dn);
    }
    object[STORED] = { dn: stored.dn, attributes };
  }

  /**
   * Refreshes an object's TTL (RFC 2589): the extended operation, or a modify of entryTTL
   * on servers without it. A no-op on a server that is not dynamic.
   *
   * @param ttl - seconds to ask for; default {@link defaultObjectTTL}. The server may grant other.
   * @returns the seconds granted, or undefined when the server is not dynamic.
   * @throws {@link DirectoryError} noSuchObject when the entry has expired or was deleted.
   */
  async refresh(object: DirectoryObject, ttl = this.#ttl): Promise<number | undefined> {
    const session = this.#live();
    if (!session.info.dynamic) return undefined;
    const granted = await session.refresher.refresh(this.dnOf(object), ttl);
    if (this.#added.has(object)) {
      this.#added.set(object, granted);
      // A refresh by hand postpones the automatic one.
      if (session.timers.has(object)) session.timers.schedule(object, this.#refreshDelay(granted));
    }
    return granted;
  }

  /**
   * Deletes an object; auto-refresh stops keeping it. The object can be added again.
   *
   * @throws {@link DirectoryError} noSuchObject, insufficientAccessRights...
   */
  async delete(object: DirectoryObject): Promise<void> {
    const session = this.#live();
    const dn = this.dnOf(object);
    session.timers.cancel(object);
    this.#added.delete(object);
    try {
      await session.client.del(dn);
    } catch (error) {
      throw fromLdapError(error, dn);
    }
    object[STORED] = undefined;
  }

  /**
   * The objects of a type whose name matches `namePattern`, in which `*` matches any run of
   * characters and everything else literally (TAPI's EnumerateDirectoryObjects). Paged
   * underneath (RFC 2696), so large directories stream. A user's pattern matches the name
   * with or without the IP phone part (`bob` finds `cn=bob]bob-pc`).
   *
   * @throws {@link DirectoryError} when the search fails (noSuchObject: the container does not exist).
   */
  async *enumerate<T extends DirectoryObjectType>(type: T, namePattern = '*', options: EnumerateOptions = {}): AsyncGenerator<DirectoryObjects[T]> {
    yield* this.#search(type, nameFilter(type, namePattern), options);
  }

  /**
   * The object of a type with exactly this name, or undefined. For a user, the name
   * without the IP phone part matches too (`alice` finds `cn=alice]host`).
   *
   * @throws SdpError when the conference's stored blob is unreadable.
   */
  async get<T extends DirectoryObjectType>(type: T, name: string): Promise<DirectoryObjects[T] | undefined> {
    const attribute = SCHEMAS[type].rdnAttribute;
    const exact = `(${attribute}=${Filter.escape(name)})`;
    const filter = type === 'user' ? `(|${exact}(${attribute}=${Filter.escape(`${name}]`)}*))` : exact;
    const options: EnumerateOptions = {
      onInvalid: (_dn, error) => {
        throw error;
      },
    };
    // Names match case-insensitively (uid and cn use caseIgnoreMatch); the filter also lets other phones through.
    for await (const object of this.#search(type, filter, options)) if (object.name.toLowerCase() === name.toLowerCase()) return object;
    return undefined;
  }

  /**
   * Follows the conferences and users live: first the current content (each as `added`,
   * then a `synced` event), then every change as it happens, until the loop is left or
   * `options.signal` aborted. Each event carries the cookie to resume from with
   * `options.cookie` in a later watch. RFC 4533 content synchronisation (refreshAndPersist)
   * over a connection of its own, made as this Directory's was (same URL, TLS and StartTLS
   * options, bound as this Directory is bound): it works with Rendezvous and with OpenLDAP's
   * syncprov overlay. Leaving the loop cancels the search (RFC 3909) and closes that
   * connection; closing this Directory does not end a watch.
   *
   * The watch keeps the entryUUIDs it has reported: when the server cannot send only what
   * changed since a cookie (a present phase: unchanged entries arrive as `present`), it
   * reports every entry it had reported and the server no longer mentions as `deleted`.
   * When the server asks for a new refresh (e-syncRefreshRequired), the watch searches again
   * from its newest cookie, or from nothing if the server refused that cookie.
   *
   * @example
   * ```ts
   * for await (const event of directory.watch({ filter: '(uid=weekly*)' })) {
   *   if (event.kind === 'added' && event.type === 'conference') console.log('new', event.object.name, event.object.startTime);
   *   if (event.kind === 'deleted') console.log('gone', event.name ?? event.dn);
   *   if (event.kind === 'synced') console.log('up to date');
   * }
   * ```
   *
   * @throws {@link NotConnectedError} at once; TypeError for a filter that is not RFC 4515 or an empty name pattern.
   * The iteration throws {@link ConnectError} when the watch's connection cannot be made,
   * {@link DirectoryError} when the server refuses the search (unavailableCriticalExtension
   * from a server without RFC 4533) or the connection is lost.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const session = this.#live();
    const types: DirectoryObjectType[] = options.type ? [options.type] : ['conference', 'user'];
    const classes = types.map((type) => `(&(objectClass=${SCHEMAS[type].objectClass})${options.name === undefined ? '' : nameFilter(type, options.name)})`);
    return watchDirectory(
      classes.length === 1 ? classes[0]! : `(|${classes.join('')})`,
      {
        url: session.url,
        startTls: session.startTls,
        tls: session.tls,
        credentials: session.credentials,
        connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
        timeoutMs: this.#options.timeoutMs ?? 30_000,
        maxMessageSize: this.#options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      },
      options.base ?? session.container,
      options,
    );
  }

  /**
   * Keeps the objects this Directory added alive (TAPI's EnableAutoRefresh): each is
   * refreshed well before its TTL lapses, and added again if the server has forgotten it,
   * as RFC 2589 asks of clients, until it is deleted or the Directory closed. Timers do not
   * keep the process alive. A no-op on a server that is not dynamic.
   */
  enableAutoRefresh(on: boolean): void {
    this.#autoRefresh = on;
    const session = this.#session;
    if (!session) return;
    for (const [object, ttl] of this.#added) {
      if (!on) session.timers.cancel(object);
      else if (!session.timers.has(object)) session.timers.schedule(object, this.#refreshDelay(ttl));
    }
  }

  /**
   * Stops auto-refresh and disconnects. Objects stay in the directory until their TTL
   * lapses, as TAPI left them. The Directory can connect again afterwards.
   */
  async close(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    session.timers.stop();
    this.#added.clear();
    await session.client.unbind().catch(() => undefined);
  }

  /**
   * The DN of an object here: where it is stored, or, for one not stored, where it would be
   * (so an object made with just a name can stand for the entry, as in TAPI).
   *
   * @throws {@link NotConnectedError}
   */
  dnOf(object: DirectoryObject): string {
    if (object.dn !== undefined) return object.dn;
    return childDn(SCHEMAS[object.type].rdnAttribute, object[RDN](), this.#require().container);
  }

  #require(): Session {
    if (!this.#session) throw new NotConnectedError();
    return this.#session;
  }

  /** The session, for an operation on the server. */
  #live(): Session {
    const session = this.#require();
    // ldapts reconnects by itself after a dropped connection, but in clear: never for a StartTLS session.
    if (session.startTls && !session.client.isConnected) {
      throw new DirectoryError(ResultCode.serverDown, 'the TLS connection to the server was lost; connect again');
    }
    return session;
  }


  #refreshDelay(ttlSeconds: number): number {
    const delay = this.#options.refreshDelay?.(ttlSeconds) ?? (ttlSeconds * 1000) / 2;
    return Number.isFinite(delay) && delay > 0 ? delay : (ttlSeconds * 1000) / 2;
  }

  async *#search<T extends DirectoryObjectType>(type: T, nameFilter: string, options: EnumerateOptions): AsyncGenerator<DirectoryObjects[T]> {
    const session = this.#live();
    const schema = SCHEMAS[type];
    const pages = session.client.searchPaginated(session.container, {
      scope: 'one',
      filter: `(&(objectClass=${schema.objectClass})${nameFilter})`,
      attributes: [...schema.attributes],
      explicitBufferAttributes: [...schema.binaryAttributes],
      paged: { pageSize: this.#options.pageSize ?? 100 },
    });
    while (true) {
      let page: IteratorResult<Awaited<ReturnType<Client['search']>>>;
      try {
        page = await pages.next();
      } catch (error) {
        throw fromLdapError(error, session.container);
      }
      if (page.done) return;
      for (const raw of page.value.searchEntries) {
        const entry = new EntryReader(raw);
        let object: DirectoryObject;
        try {
          object = decode(type, entry);
        } catch (error) {
          options.onInvalid?.(entry.dn, error as Error);
          continue;
        }
        yield object as DirectoryObjects[T];
      }
    }
  }

  /** One auto-refresh of an object; resolves to the delay before the next. */
  async #keepAlive(object: DirectoryObject): Promise<number> {
    const session = this.#session;
    const lastTtl = this.#added.get(object) ?? this.#ttl;
    const retry = Math.max(100, Math.min(60_000, this.#refreshDelay(lastTtl) / 4));
    if (!session) return retry;
    const report = (event: AutoRefreshEvent): void => {
      if (this.#session === session && this.#added.has(object)) this.#options.onAutoRefresh?.(event);
    };
    try {
      const ttl = await this.#live().refresher.refresh(this.dnOf(object), this.#ttl);
      this.#added.set(object, ttl);
      report({ kind: 'refreshed', object, ttl });
      return this.#refreshDelay(ttl);
    } catch (error) {
      if (error instanceof DirectoryError && error.code === ResultCode.noSuchObject) {
        try {
          const ttl = await this.#recreate(session, object);
          report({ kind: 'recreated', object, ttl });
          return this.#refreshDelay(ttl);
        } catch (recreateError) {
          report({ kind: 'failed', object, error: recreateError as Error });
          return retry;
        }
      }
      report({ kind: 'failed', object, error: error as Error });
      return retry;
    }
  }

  /** Adds an object again as it was last stored (RFC 2589 §4.4: the client re-creates what expired). */
  async #recreate(session: Session, object: DirectoryObject): Promise<number> {
    const stored = object[STORED];
    if (!stored) throw new TypeError(`the ${object.type} ${object.name} has no stored state to re-create`);
    try {
      await session.client.add(stored.dn, addAttributes([SCHEMAS[object.type].objectClass, 'dynamicObject'], stored.attributes));
    } catch (error) {
      const e = fromLdapError(error, stored.dn);
      // Someone (another keep-alive of the same object?) re-created it first: refreshing is enough.
      if (!(e instanceof DirectoryError && e.code === ResultCode.entryAlreadyExists)) throw e;
    }
    const ttl = await session.refresher.refresh(stored.dn, this.#ttl);
    this.#added.set(object, ttl);
    return ttl;
  }
}
