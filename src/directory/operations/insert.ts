/**
 * Inserting an entry whose attributes are complete and checked, as every add does it: the
 * client's (operations/add.ts) and the server's own (the tree, application containers and
 * NetMeeting's application entries, operations/registrations.ts).
 */
import { randomUUID } from 'node:crypto';
import type { StoredEntry } from '../../store/index.js';
import type { DirectoryContext } from '../context.js';
import { recordChange, takeCsn } from '../changes.js';
import type { Name } from '../model/names.js';
import { endsAtOf } from '../conferences/span.js';
import { storedForms } from './write-steps.js';

/** The owner recorded on the entries the server creates itself: no client's. */
export const SERVER_OWNER = '';

/** Inserts an entry whose attributes are complete and checked (`forms`: theirs, when worked out already). */
export function insert(ctx: DirectoryContext, name: Name, dnText: string, attributes: Record<string, string[]>, owner: string, expiresAt: number | null, forms = storedForms(ctx, attributes)): StoredEntry {
  const now = ctx.now();
  const entry: Omit<StoredEntry, 'id'> = {
    dn: dnText,
    ndn: name.ndn,
    parent: name.parent,
    path: name.path,
    attributes,
    creator: owner,
    modifier: owner,
    createdAt: now,
    modifiedAt: now,
    uuid: randomUUID(),
    csn: takeCsn(ctx),
    expiresAt,
    endsAt: endsAtOf(attributes, ctx.options.conferenceGrace),
    encoded: forms.encoded,
  };
  const id = ctx.entries.insert(entry, forms.index, forms.span, forms.groups);
  const stored = { ...entry, id };
  recordChange(ctx, { kind: 'added', entry: stored }, entry.csn);
  return stored;
}
