/**
 * Read replicas for tests: an unmodified OpenLDAP slapd that follows a provider by RFC 4533
 * syncrepl (refreshAndPersist), configured as slapo-dds(5) says a shadow of dynamic entries
 * must be, and the means to tell that it is in step with its provider: both sides'
 * contextCSN, and both trees read and compared entry by entry (DN, user attributes,
 * entryUUID, entryCSN). Rendezvous's tree is compared as a replica can store it, through the
 * directory's own `replicableAttributes`: content sync leaves out the values a replica refuses
 * by their syntax (NetMeeting's `c: -`), which Rendezvous's searches show.
 *
 * What a stock slapd consumer needs for Rendezvous's dynamic entries (tried with Debian's
 * slapd 2.5; docs/replication.md says the same for people):
 *   - `moduleload dds` without `overlay dds`: the module defines entryExpireTimestamp, which
 *     `exattrs` names (slaptest refuses the syncrepl line without it: "failed to add
 *     syncinfo"); the overlay itself refuses to run on a shadow database ("DDS incompatible
 *     with shadow database"): expiry is the provider's job, the consumer sees deletes.
 *   - `exattrs=entryTtl,entryExpireTimestamp`: the seconds left are the provider's to count.
 *   - schema checking off (syncrepl's default): with `schemachecking=on` slapd refuses an
 *     entry of objectClass dynamicObject without the overlay (objectClassViolation, 65),
 *     and replication stalls on it.
 */
import { replicableAttributes } from '../../src/directory/model/replicable.js';
import { ldapsearch, type Bind, type LdifEntry } from './ldap-tools.js';
import { startSlapd, type Slapd, type SlapdOptions } from './slapd.js';

/** Options of {@link startSlapdConsumer}. */
export interface ConsumerOptions {
  /** The provider's URL, `ldap://127.0.0.1:PORT`. */
  provider: string;
  /** The identity the consumer binds as at the provider (simple bind). */
  bind: Bind;
  /** Replicated base and the consumer's suffix (default `o=Intranet`). */
  suffix?: string;
  /** Replica id (default 1, written `rid=001`). */
  rid?: number;
  /**
   * slapd's debug level (default `sync`: the log then says how each refresh started, with
   * which cookie, whether it ended in a present or a delete phase, and every entry applied).
   */
  logLevel?: string;
  /** Further `syncrepl` keywords, e.g. `interval=00:00:00:05`. */
  syncrepl?: readonly string[];
  /** Further slapd options (schemas, database directives). */
  slapd?: SlapdOptions;
}

const quoted = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The `syncrepl` directive of a consumer that follows the whole tree below `suffix`. */
export function syncreplDirective(options: ConsumerOptions): string {
  const suffix = options.suffix ?? 'o=Intranet';
  return [
    'syncrepl',
    `rid=${String(options.rid ?? 1).padStart(3, '0')}`,
    `provider=${options.provider}`,
    'type=refreshAndPersist',
    `searchbase=${quoted(suffix)}`,
    // Retry every second, forever: the provider restarts in the tests, and a consumer that
    // gave up would never come back in step.
    'retry="1 +"',
    'bindmethod=simple',
    `binddn=${quoted(options.bind.dn)}`,
    `credentials=${quoted(options.bind.password)}`,
    'exattrs=entryTtl,entryExpireTimestamp',
    'network-timeout=5',
    'timeout=5',
    ...(options.syncrepl ?? []),
  ].join(' ');
}

/** Starts a slapd consumer of the tree below `suffix` at `provider`, with our schema, back-mdb. */
export function startSlapdConsumer(options: ConsumerOptions): Promise<Slapd> {
  const slapd = options.slapd ?? {};
  return startSlapd({
    ...slapd,
    suffix: options.suffix ?? 'o=Intranet',
    modules: ['dds', ...(slapd.modules ?? [])],
    indexes: ['entryUUID eq', 'entryCSN eq', 'objectClass eq', ...(slapd.indexes ?? [])],
    databaseConfig: [syncreplDirective(options), ...(slapd.databaseConfig ?? [])],
    logLevel: options.logLevel ?? 'sync',
  });
}

/**
 * Starts a slapd provider (syncprov with a session log, dds): the reference the consumer's
 * configuration was first checked against.
 */
export function startSlapdProvider(options: SlapdOptions & { sessionLog?: number } = {}): Promise<Slapd> {
  return startSlapd({
    ...options,
    indexes: ['entryUUID eq', 'entryCSN eq', 'objectClass eq', ...(options.indexes ?? [])],
    overlays: [
      { name: 'syncprov', config: ['syncprov-checkpoint 1 1', `syncprov-sessionlog ${options.sessionLog ?? 100}`] },
      { name: 'dds', config: ['dds-default-ttl 3600', 'dds-min-ttl 1'] },
      ...(options.overlays ?? []),
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Comparing trees
// ---------------------------------------------------------------------------------------------

/** One entry as compared: its DN, user attributes (canonical names, sorted values), entryUUID, entryCSN. */
export interface TreeEntry {
  dn: string;
  attributes: Record<string, string[]>;
  entryUUID: string;
  entryCSN: string;
}

/** A tree read: entries by DN. */
export type Tree = Map<string, TreeEntry>;

/** Where and how to read a tree. */
export interface TreeSource {
  url: string;
  base: string;
  auth?: Bind;
  /** Read in pages of this many entries (RFC 2696): for a server whose size limit is below the tree's size. */
  pageSize?: number;
}

/** The attribute type descriptions of a server's cn=Subschema. */
async function attributeTypes(url: string): Promise<string[]> {
  const read = await ldapsearch(url, { base: 'cn=Subschema', scope: 'base', filter: '(objectClass=*)', attrs: ['attributeTypes'] });
  if (read.code !== 0) throw new Error(`cannot read cn=Subschema at ${url}: ${read.stderr}`);
  return read.entries[0]?.get('attributeTypes') ?? [];
}

/** The names of an attribute type description, lower case, the primary one first. */
function namesOf(description: string): string[] {
  const list = /NAME\s+(?:\(\s*((?:'[^']+'\s*)+)\)|'([^']+)')/.exec(description);
  return list ? (list[1] ?? `'${list[2]}'`).match(/'[^']+'/g)!.map((n) => n.slice(1, -1).toLowerCase()) : [];
}

/**
 * Attribute names to one canonical name each (lower case), from a server's cn=Subschema: the
 * two servers may print different names of one attribute (`mail` / `rfc822Mailbox`,
 * `protocolID` / `sprotid`).
 */
export async function attributeNames(url: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const description of await attributeTypes(url)) {
    const all = namesOf(description);
    for (const name of all) if (!names.has(name)) names.set(name, all[0]!);
  }
  return names;
}

/**
 * The syntax OID of each attribute by its canonical name ({@link attributeNames}), inherited
 * from its SUP when it names none, from a server's cn=Subschema.
 */
export async function attributeSyntaxes(url: string): Promise<Map<string, string>> {
  const own = new Map<string, { syntax?: string; sup?: string }>();
  for (const description of await attributeTypes(url)) {
    const [name] = namesOf(description);
    if (name === undefined) continue;
    own.set(name, { syntax: /SYNTAX\s+'?([0-9.]+)/.exec(description)?.[1], sup: /SUP\s+'?([\w-]+)/.exec(description)?.[1]?.toLowerCase() });
  }
  const syntaxes = new Map<string, string>();
  for (const name of own.keys()) {
    let at = own.get(name);
    for (let depth = 0; at !== undefined && at.syntax === undefined && at.sup !== undefined && depth < 16; depth += 1) at = own.get(at.sup);
    if (at?.syntax !== undefined) syntaxes.set(name, at.syntax);
  }
  return syntaxes;
}

/**
 * A provider's tree as a replica can store it: each entry's attributes through the directory's
 * own {@link replicableAttributes} (what content sync sends), with `syntaxes` from
 * {@link attributeSyntaxes}.
 */
export function replicableTree(tree: Tree, syntaxes: ReadonlyMap<string, string>): Tree {
  const syntaxOf = (key: string): string | undefined => syntaxes.get(key);
  return new Map([...tree].map(([dn, entry]) => [dn, { ...entry, attributes: replicableAttributes(entry.attributes, syntaxOf) as Record<string, string[]> }]));
}

/** A value as compared: text when it is UTF-8 without control characters, else base64. */
function valueText(value: Buffer): string {
  const text = value.toString('utf8');
  return Buffer.from(text, 'utf8').equals(value) && !/[\u0000-\u0008\u000e-\u001f]/.test(text) ? text : `base64:${value.toString('base64')}`;
}

/** One entry of ldapsearch output as compared. */
export function treeEntry(entry: LdifEntry, names: Map<string, string>): TreeEntry {
  const attributes: Record<string, string[]> = {};
  let entryUUID = '';
  let entryCSN = '';
  for (const line of entry.lines) {
    const lower = line.name.toLowerCase();
    if (lower === 'entryuuid') entryUUID = line.value.toString('utf8');
    else if (lower === 'entrycsn') entryCSN = line.value.toString('utf8');
    else {
      const name = names.get(lower) ?? lower;
      // Object class names are case-insensitive; slapd prints the schema's spelling.
      const value = name === 'objectclass' ? line.value.toString('utf8').toLowerCase() : valueText(line.value);
      (attributes[name] ??= []).push(value);
    }
  }
  for (const values of Object.values(attributes)) values.sort();
  return { dn: entry.dn, attributes, entryUUID, entryCSN };
}

/** Reads every entry below (and at) `base`: user attributes, entryUUID and entryCSN. */
export async function readTree(source: TreeSource, names: Map<string, string>): Promise<Tree> {
  const paging = source.pageSize === undefined ? {} : { extensions: [`pr=${source.pageSize}/noprompt`] };
  const read = await ldapsearch(source.url, { base: source.base, auth: source.auth, attrs: ['*', 'entryUUID', 'entryCSN'], sizeLimit: 0, ...paging });
  if (read.code !== 0) throw new Error(`cannot read the tree at ${source.url}: exit ${read.code}\n${read.stderr}`);
  return new Map(read.entries.map((entry) => [entry.dn, treeEntry(entry, names)]));
}

/** The differences between two trees, one line each ([] when they are identical). */
export function treeDifferences(provider: Tree, consumer: Tree): string[] {
  const differences: string[] = [];
  for (const [dn, theirs] of provider) {
    const ours = consumer.get(dn);
    if (!ours) {
      differences.push(`missing on the consumer: ${dn}`);
      continue;
    }
    if (ours.entryUUID !== theirs.entryUUID) differences.push(`${dn}: entryUUID ${theirs.entryUUID} / ${ours.entryUUID}`);
    if (ours.entryCSN !== theirs.entryCSN) differences.push(`${dn}: entryCSN ${theirs.entryCSN} / ${ours.entryCSN}`);
    for (const name of new Set([...Object.keys(theirs.attributes), ...Object.keys(ours.attributes)])) {
      const a = JSON.stringify(theirs.attributes[name] ?? []);
      const b = JSON.stringify(ours.attributes[name] ?? []);
      if (a !== b) differences.push(`${dn}: ${name} ${a.slice(0, 200)} / ${b.slice(0, 200)}`);
    }
  }
  for (const dn of consumer.keys()) if (!provider.has(dn)) differences.push(`stale on the consumer: ${dn}`);
  return differences;
}

/** The contextCSN values of `base` ('' when it has none or cannot be read), sorted and joined. */
export async function contextCsn(source: TreeSource): Promise<string> {
  const read = await ldapsearch(source.url, { base: source.base, scope: 'base', auth: source.auth, attrs: ['contextCSN'] });
  if (read.code !== 0) return '';
  return (read.entries[0]?.get('contextCSN') ?? []).sort().join(';');
}

/** What {@link waitInStep} found. */
export interface InStep {
  /** The contextCSN both sides have. */
  csn: string;
  /** The tree both sides hold, as the provider's searches show it. */
  tree: Tree;
  /** The tree as the consumer holds it: `tree` without what a replica cannot store ({@link replicableTree}). */
  replica: Tree;
  /** How long it took (ms). */
  waitedMs: number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls both sides' contextCSN until they are equal, then compares the trees, until both
 * agree or `timeoutMs` passes; throws then with the differences last seen. With `syntaxes`,
 * the provider is Rendezvous and its tree is compared as a replica can store it
 * ({@link replicableTree}).
 *
 * @param unlike - a contextCSN the consumer must have moved past (the one before a change):
 * without it, a consumer that had not yet heard of the change could look in step.
 */
export async function waitInStep(
  provider: TreeSource,
  consumer: TreeSource,
  names: Map<string, string>,
  options: { timeoutMs?: number; unlike?: string; describe?: () => string; syntaxes?: ReadonlyMap<string, string> } = {},
): Promise<InStep> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 20_000);
  let last = 'the contextCSNs never matched';
  for (;;) {
    const [theirs, ours] = await Promise.all([contextCsn(provider), contextCsn(consumer)]);
    if (theirs !== '' && theirs === ours && theirs !== options.unlike) {
      const [a, b] = await Promise.all([readTree(provider, names), readTree(consumer, names)]);
      const differences = treeDifferences(options.syntaxes === undefined ? a : replicableTree(a, options.syntaxes), b);
      if (differences.length === 0 && (await contextCsn(provider)) === theirs) return { csn: theirs, tree: a, replica: b, waitedMs: Date.now() - started };
      last = `contextCSN ${theirs} on both, yet the trees differ:\n${differences.join('\n')}`;
    } else {
      last = `contextCSN provider ${theirs || '(none)'}, consumer ${ours || '(none)'}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`the consumer is not in step after ${Date.now() - started} ms: ${last}${options.describe ? `\n${options.describe()}` : ''}`);
    }
    await pause(100);
  }
}

/** What one run of a consumer's `-d sync` log says about its refreshes. */
export interface SyncLog {
  /** The cookies it started each refresh with (`rid=001` alone: none). */
  cookies: string[];
  /** Entries it was sent (`LDAP_RES_SEARCH_ENTRY` lines), with their sync state. */
  entries: { state: string; dn?: string }[];
  /** Sync Info messages received, by name (REFRESH_DELETE, REFRESH_PRESENT, NEW_COOKIE, SYNC_ID_SET). */
  infos: string[];
  /** Whether the provider told it to start over (e-syncRefreshRequired, 4096). */
  refreshRequired: boolean;
}

/** Reads a consumer's `-d sync` output (slapd 2.5's wording). */
export function parseSyncLog(output: string): SyncLog {
  const log: SyncLog = { cookies: [], entries: [], infos: [], refreshRequired: false };
  let dn: string | undefined;
  for (const line of output.split('\n')) {
    const cookie = /do_syncrep1: rid=\d+ starting refresh \(sending cookie=([^)]*)\)/.exec(line);
    if (cookie) log.cookies.push(cookie[1]!);
    const named = /syncrepl_message_to_entry: rid=\d+ DN: (.*), UUID:/.exec(line);
    if (named) dn = named[1];
    const entry = /LDAP_RES_SEARCH_ENTRY\((LDAP_SYNC_\w+)\)/.exec(line);
    if (entry) {
      log.entries.push({ state: entry[1]!, dn });
      dn = undefined;
    }
    const info = /LDAP_RES_INTERMEDIATE - (\w+)/.exec(line);
    if (info) log.infos.push(info[1]!);
    if (/\b4096\b|refresh required/i.test(line)) log.refreshRequired = true;
  }
  return log;
}
