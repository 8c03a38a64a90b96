/**
 * The operations' wire handling, one file each, and the table the connection dispatches
 * on (as slapd's frontend has do_bind, do_search...): a handler decodes nothing and frames
 * nothing; it asks the directory (reads) or the Writer (writes) and answers through its
 * {@link Session}.
 */
import type { Envelope } from '../../protocol/index.js';
import type { LdapRequest } from '../requests.js';
import type { Session } from '../session.js';
import { abandon } from './abandon.js';
import { add } from './add.js';
import { bind } from './bind.js';
import { compare } from './compare.js';
import { del } from './delete.js';
import { extended } from './extended.js';
import { modify } from './modify.js';
import { modifyDn } from './modify-dn.js';
import { search } from './search.js';
import { unbind } from './unbind.js';

/** Handles one decoded request; errors it throws are answered by the connection. */
export type Handler<R extends LdapRequest = LdapRequest> = (session: Session, envelope: Envelope, request: R) => Promise<void> | void;

/** The handler of each request type. */
export const HANDLERS: { readonly [T in LdapRequest['type']]: Handler<Extract<LdapRequest, { type: T }>> } = {
  bind,
  unbind,
  search,
  add,
  modify,
  delete: del,
  modifyDn,
  compare,
  extended,
  abandon,
};
