/**
 * The servers the client library is tested against: Rendezvous itself, and OpenLDAP slapd
 * with our schema and the dds overlay (a standards-compliant server that derives nothing
 * from conference blobs). The same test cases run on both.
 */
import { Client } from 'ldapts';
import { startServer } from '../helpers/server.js';
import { ldapadd, startSlapd, syncprovOverlay, type SlapdOverlay } from '../helpers/slapd.js';

/** A running server with an identity that may write and one that may delete anything. */
export interface Target {
  readonly kind: 'rendezvous' | 'slapd';
  readonly url: string;
  /** May add, and modify, refresh and delete what it added. */
  readonly user: { dn: string; password: string };
  /** May delete anything (to make the server "forget" an entry behind a client's back). */
  readonly admin: { dn: string; password: string };
  /** What the server has logged so far. */
  output(): string;
  stop(): Promise<void>;
}

export const SUFFIX = 'o=Intranet';
export const CONTAINER = `ou=dynamic,${SUFFIX}`;

/** `rendezvous serve` with an ordinary account (alice) and an admin. */
export async function startRendezvous(): Promise<Target> {
  const server = await startServer({
    accounts: [
      { name: 'alice', password: 'alice-pw' },
      { name: 'admin', password: 'admin-pw', admin: true },
    ],
  });
  return {
    kind: 'rendezvous',
    url: server.url,
    user: { dn: `cn=alice,ou=accounts,${SUFFIX}`, password: 'alice-pw' },
    admin: { dn: `cn=admin,ou=accounts,${SUFFIX}`, password: 'admin-pw' },
    output: () => server.logs(),
    stop: async () => {
      await server.stop();
    },
  };
}

/** Options of {@link startOpenLdap}. */
export interface OpenLdapOptions {
  /** false: without the dds overlay (entries are not dynamic). */
  dynamic?: boolean;
  /** With the syncprov overlay (RFC 4533 provider); `sessionlog` of N deletes lets it resume without a present phase. */
  syncprov?: { sessionlog?: number };
  /** slapd's `-d` level (`stats` logs every operation and result). */
  logLevel?: string;
  /** Global directives, e.g. `TLSCertificateFile ...`. */
  globalConfig?: string[];
}

/**
 * slapd with the rendezvous schema, the suffix and ou=dynamic, and (unless `dynamic` is
 * false) the dds overlay, which keeps dynamic entries per RFC 2589.
 */
export async function startOpenLdap(options: OpenLdapOptions = {}): Promise<Target> {
  const overlays: SlapdOverlay[] = options.dynamic === false ? [] : [{ name: 'dds', config: ['dds-default-ttl 1800', 'dds-min-ttl 60'] }];
  if (options.syncprov) overlays.push(syncprovOverlay(options.syncprov.sessionlog));
  const slapd = await startSlapd({
    overlays,
    indexes: ['objectClass eq', 'uid eq,sub', 'cn eq,sub', ...(options.syncprov ? ['entryCSN,entryUUID eq'] : [])],
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.globalConfig ? { globalConfig: options.globalConfig } : {}),
  });
  const base = await ldapadd(slapd, `dn: ${SUFFIX}\nobjectClass: organization\no: Intranet\n\ndn: ${CONTAINER}\nobjectClass: organizationalUnit\nou: dynamic\n`);
  if (base.code !== 0) {
    await slapd.stop();
    throw new Error(`cannot create the base entries in slapd: ${base.stderr}`);
  }
  const root = { dn: slapd.rootDn, password: slapd.rootPw };
  return { kind: 'slapd', url: slapd.url, user: root, admin: root, output: () => slapd.output(), stop: () => slapd.stop() };
}

/** Both targets, by name, for describe.each. */
export const TARGETS: ReadonlyArray<readonly [string, () => Promise<Target>]> = [
  ['Rendezvous', startRendezvous],
  ['OpenLDAP slapd with dds', () => startOpenLdap()],
];

/** A plain ldapts client bound as `who`, to look at entries as stored. */
export async function rawClient(target: Target, who: { dn: string; password: string } = target.admin): Promise<Client> {
  const client = new Client({ url: target.url, timeout: 10_000 });
  await client.bind(who.dn, who.password);
  return client;
}

/** Resolves when `predicate` holds, polling; rejects after `ms`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, ms = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
