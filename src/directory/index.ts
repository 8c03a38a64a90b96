/**
 * The directory layer: the DIT of Rendezvous over the store, independent of the wire. It
 * offers
 *
 * - {@link DirectoryTree}: one method per LDAP operation (bind, add, modify, delete, compare,
 *   search, the RFC 2589 refresh), with the ILS conventions, access control, the schema
 *   rules, dynamic entries and their expiry, and conferences (attributes derived from the
 *   SDP blob, multicast clashes, the time-clustered copy). Refusals are
 *   {@link OperationError}s carrying an LDAP result code; src/ldap only encodes them.
 * - The write path (writes.ts): every change as a {@link WriteRequest}, applied by a
 *   {@link Writer} in the one process that writes, group-committed.
 * - The change feed ({@link DirectoryTree.changes}): every committed change, in order, in
 *   every process; live searches (`liveQuery`, `syncRefresh`, `liveCursor`) built on it.
 * - What the protocol layer and the server assemble it from: the resolved schema, the TTL
 *   policy and the other options, the attribute codec.
 *
 * Inside, by feature: `model/` (DNs, names, filters and their evaluation and planning,
 * matching rules, attribute input, the entry view), `schema/` (the LDAP schema and the
 * rules an entry must meet), `dynamic/` (RFC 2589 dynamic entries: TTL policy, the ILS
 * sTTL refresh, expiry), `conferences/` (derived attributes, clashes, spans, the
 * time-clustered copy), `operations/` (one file per operation and their shared steps) and
 * `sync/` (the change feed and what live searches make of it: CSNs, cookies, the RFC 4533
 * refresh and persist phases, as slapd's syncprov overlay).
 *
 * Import the layer from here; the modules inside import one another directly.
 *
 * @packageDocumentation
 */
export { DirectoryTree, type DirectoryTreeParts } from './directory.js';
export type { DirectoryEvents, DirectoryTreeOptions, Identity } from './context.js';
export { OperationError, ResultCode, type ResultCodeValue } from './errors.js';
export {
  LocalWriter,
  describeFailure,
  failureError,
  prepareWrite,
  reviveWrite,
  type PreparedWrite,
  type WriteFailure,
  type WriteRequest,
  type Writer,
} from './writes.js';
export type { AttributeCodec, EntryView, ViewAttribute } from './model/view.js';
export { storedAttributeEncoding } from './model/entry-view.js';
export { checkAddSize, checkModifySize, MAX_ADD_ATTRIBUTES, MAX_ATTRIBUTE_VALUES, MAX_MODIFY_CHANGES, type RawAttribute } from './model/attributes.js';
export { checkDnSize, MAX_DN_BYTES, MAX_DN_RDNS } from './model/dn.js';
export { parseFilter, type Filter } from './model/filter.js';
export type { Change } from './operations/modify.js';
export { SCANNING, type SearchScope, type SearchRequest, type SearchResult } from './operations/search.js';
export { accountDn, accountKey, isAccountName, type LdapVersion } from './operations/bind.js';
export { hashPassword } from './operations/passwords.js';
export type { PasswordChange, PasswordModify } from './operations/password-modify.js';
export { schemaAccess, type SchemaAccess } from './schema/schema-access.js';
export { DEFAULT_SCHEMA_FILES, loadSchemaSync } from './schema/index.js';
export { DEFAULT_CONFERENCE_GRACE, DEFAULT_TTL_POLICY, type TtlPolicy } from './dynamic/ttl.js';
export { deriveFromBlob } from './conferences/derived.js';
export { spanOf } from './conferences/span.js';
export type { ProtocolFeatures } from './root-dse.js';
export type { CopyProgress } from './conferences/window-copy.js';
export type { SttlRefresh } from './dynamic/sttl.js';
export type { ChangeRecord, ChangeSource } from './sync/feed.js';
export type { LiveChange, LiveQuery, LiveRequest, LiveValues } from './sync/query.js';
export type { LiveCursor, RefreshItem, RefreshOutcome } from './sync/content-sync.js';
export { formatCookie, parseCookie, type SyncCookie } from './sync/cookie.js';
