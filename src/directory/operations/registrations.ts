/**
 * Application registrations under `ou=applications`: the `appName` containers, created with
 * the first registration below them and removed with the last, and NetMeeting's application
 * entry.
 *
 * A NetMeeting registration is two entries ([MS-TAIL] §3.5.3, §3.5.4): the person
 * `cn=<email>,ou=Dynamic,<suffix>` (rtPerson) and `cn=<email>,appName=<application>,
 * ou=Applications,<suffix>` (rtApplicationUser). NetMeeting writes only the person: its add,
 * then a modify that sets sappid, sprotid, sport... on it. So the server keeps the
 * application entry of a person of `ou=dynamic` that names an application (applicationID):
 * written with the person's application attributes whenever the person is written, and
 * removed with the person, deleted or expired. It has no TTL of its own: it lives exactly as
 * long as the person (a refresh of the person is all NetMeeting sends, [MS-TAIL] §3.5.11). The
 * person keeps the attributes too, as NetMeeting's searches filter people on them (§4.11.2).
 */
import type { StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { recordChange, takeCsn } from '../changes.js';
import { escapeDnValue, formatDn, parseDn } from '../model/dn.js';
import { parentNdn, type Name } from '../model/names.js';
import { insert, SERVER_OWNER } from './insert.js';
import { findLive, isLive } from './live.js';
import { completeEntry, storedForms } from './write-steps.js';

/**
 * Creates the `appName=<app>,ou=applications` container registrations go under, when the first
 * registration arrives before anyone created it. The server owns it (no client may change
 * it), and removes it with the last entry below it ({@link removeEmptyApplicationContainers}).
 */
export function ensureApplicationContainer(ctx: DirectoryContext, parent: Name): StoredEntry | undefined {
  const rdn = parent.dn[0];
  if (parent.parent !== ctx.applicationsNdn || rdn?.length !== 1 || ctx.schema.attribute(rdn[0]!.type)?.key !== 'appname') return undefined;
  const cls = ctx.schema.objectClass('rendezvousApplication');
  if (!cls) return undefined;
  return insert(ctx, parent, formatDn(parent.dn), { objectclass: [cls.name], appname: [rdn[0]!.value] }, SERVER_OWNER, null);
}

/**
 * Deletes, in the open write transaction, the application containers among `ndns`
 * (normalised DNs) that have no live entry below them left, with what expired there: a
 * container appears with the first registration below it and goes with the last, deleted or
 * expired.
 */
export function removeEmptyApplicationContainers(ctx: DirectoryContext, ndns: Iterable<string>): void {
  for (const ndn of new Set(ndns)) {
    if (parentNdn(ndn) !== ctx.applicationsNdn || ctx.entries.hasChildren(ndn, ctx.now())) continue;
    const container = ctx.entries.get(ndn);
    if (container) for (const entry of ctx.entries.deleteTree(container)) recordChange(ctx, { kind: 'deleted', entry });
  }
}

/** The person attributes an application entry does not copy: its own name and class, and the person's security descriptor. */
const NOT_COPIED = new Set(['cn', 'objectclass', 'ntsecuritydescriptor']);

/** An application entry as a person's attributes make it. */
interface ApplicationEntry {
  readonly name: Name;
  readonly attributes: Record<string, string[]>;
}

/**
 * The application entry of a person of `ou=dynamic` that names an application: named by the
 * person's cn under `appName=<applicationID>`, holding the person's attributes that
 * rtApplicationUser allows, its appName, and userObject naming the person (as TAPI writes it,
 * §4.5.2). Undefined for any other entry.
 */
function applicationEntryOf(ctx: DirectoryContext, person: Pick<StoredEntry, 'dn' | 'parent' | 'attributes'>): ApplicationEntry | undefined {
  const application = person.attributes.applicationid?.[0];
  if (application === undefined || person.parent !== ctx.dynamicNdn) return undefined;
  if (!person.attributes.objectclass?.some((c) => c.toLowerCase() === 'rtperson')) return undefined;
  const cls = ctx.schema.objectClass('rtApplicationUser');
  const rdn = ctx.names.parse(person.dn).dn[0];
  if (!cls || rdn?.length !== 1 || ctx.schema.attribute(rdn[0]!.type)?.key !== 'cn') return undefined;
  const cn = rdn[0]!.value;
  const attributes: Record<string, string[]> = { objectclass: [cls.name], cn: [cn] };
  for (const [key, values] of Object.entries(person.attributes)) if (cls.allowed.has(key) && !NOT_COPIED.has(key)) attributes[key] = [...values];
  attributes.appname = [application];
  attributes.userobject = [`cn=${escapeDnValue(cn)}`];
  completeEntry(ctx, attributes);
  const name = ctx.names.parse(formatDn([[{ type: 'cn', value: cn }], [{ type: 'appName', value: application }], ...parseDn(`ou=applications,${ctx.options.suffix}`)]));
  return { name, attributes };
}

/** Whether two attribute sets hold the same values under the same keys. */
function sameAttributes(a: Readonly<Record<string, readonly string[]>>, b: Readonly<Record<string, readonly string[]>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] !== undefined && a[k]!.length === b[k]!.length && a[k]!.every((v, i) => v === b[k]![i]));
}

/** The person's application entry as stored, if there is one and it is the person's owner's. */
function storedApplicationEntry(ctx: DirectoryContext, application: ApplicationEntry, owner: string): StoredEntry | undefined {
  const stored = ctx.entries.get(application.name.ndn);
  return stored && stored.creator === owner ? stored : undefined;
}

/**
 * Writes a person's application entry after the person was added or modified (`previous`:
 * the person before a modify), in the open write transaction: inserted, updated, or moved
 * when the person now names another application. Each entry it changes is recorded. An
 * entry at that name another owner holds is left alone.
 */
export function keepApplicationEntry(ctx: DirectoryContext, person: StoredEntry, previous?: StoredEntry): void {
  const before = previous && applicationEntryOf(ctx, previous);
  const after = applicationEntryOf(ctx, person);
  if (before && before.name.ndn !== after?.name.ndn) removeApplicationEntries(ctx, [previous!]);
  if (!after) return;
  let stored = storedApplicationEntry(ctx, after, person.creator);
  if (stored && !isLive(ctx, stored)) {
    // A registration of the client's own that expired: expiry's deletion, made here.
    ctx.entries.delete(stored.id);
    recordChange(ctx, { kind: 'expired', entry: stored });
    stored = undefined;
  }
  if (stored) {
    if (sameAttributes(stored.attributes, after.attributes)) return;
    const forms = storedForms(ctx, after.attributes);
    const entry: StoredEntry = { ...stored, attributes: after.attributes, modifier: person.modifier, modifiedAt: ctx.now(), encoded: forms.encoded, csn: takeCsn(ctx) };
    ctx.entries.update(entry, forms.index, forms.span, forms.groups);
    recordChange(ctx, { kind: 'modified', entry, previous: stored, before: stored }, entry.csn);
    return;
  }
  if (ctx.entries.get(after.name.ndn)) return; // another owner's
  const container = ctx.names.parse(formatDn(after.name.dn.slice(1)));
  if (!findLive(ctx, container)) ensureApplicationContainer(ctx, container);
  insert(ctx, after.name, after.name.text, after.attributes, person.creator, null);
}

/**
 * Deletes, in the open write transaction, the application entries of people who were just
 * deleted or expired, each recorded as deleted, and a container that leaves empty.
 */
export function removeApplicationEntries(ctx: DirectoryContext, people: Iterable<StoredEntry>): void {
  const containers: string[] = [];
  for (const person of people) {
    const application = applicationEntryOf(ctx, person);
    const stored = application && storedApplicationEntry(ctx, application, person.creator);
    if (!stored) continue;
    for (const entry of ctx.entries.deleteTree(stored)) recordChange(ctx, { kind: 'deleted', entry });
    containers.push(stored.parent);
  }
  removeEmptyApplicationContainers(ctx, containers);
}
