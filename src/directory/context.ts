/**
 * What every directory operation works with: schema, names, store, policy, clock, events.
 */
import { EventEmitter } from 'node:events';
import type { AccountStore, EntryHead, EntryStore, StoredEntry } from '../store/index.js';
import type { MulticastLeaseLookup } from './conferences/leases.js';
import type { FilterEvaluator } from './model/evaluate.js';
import type { FilterPlanner } from './model/plan.js';
import type { Names } from './model/names.js';
import type { SchemaAccess } from './schema/schema-access.js';
import type { TtlPolicy } from './dynamic/ttl.js';
import type { AttributeCodec } from './model/view.js';
import type { CsnClock } from './sync/csn.js';
import type { ChangeFeed } from './sync/feed.js';

/** Who is asking: the bound account (or nobody) and from where. */
export interface Identity {
  /** Bind DN as the client wrote it; '' when anonymous. */
  readonly dn: string;
  /** Normalised bind DN; '' when anonymous. */
  readonly ndn: string;
  readonly admin: boolean;
  /** Client IP address. */
  readonly address: string;
}

/** The anonymous identity from an address. */
export const anonymous = (address: string): Identity => ({ dn: '', ndn: '', admin: false, address });

/** The directory tree's configuration. */
export interface DirectoryTreeOptions {
  /** Naming context, default `o=Intranet`. */
  readonly suffix: string;
  /** Anonymous clients may register and keep their own entries alive (old ILS servers). */
  readonly ilsOpen: boolean;
  readonly ttl: TtlPolicy;
  /** Seconds a bounded conference stays after its SDP stop time before it is removed. */
  readonly conferenceGrace: number;
  /** Version reported in the root DSE. */
  readonly vendorVersion: string;
  /** Refuse (constraintViolation) a conference whose multicast group clashes, instead of flagging it. Default false. */
  readonly refuseClashes?: boolean;
  /** The multicast allocator's leases, for clash detection; conferences only when absent. */
  readonly multicastLeases?: MulticastLeaseLookup;
}

/** Change events other parts subscribe to, emitted where every entry change passes (changes.ts). */
export interface DirectoryEvents {
  added: [entry: StoredEntry];
  /** A refresh reads and reports only the entry's head (no attributes). */
  modified: [entry: EntryHead, previous: EntryHead];
  deleted: [entry: StoredEntry];
  /** Removed because its TTL lapsed or its conference ended; not by a client. */
  expired: [entry: StoredEntry];
}

/** Shared by the operations. */
export interface DirectoryContext {
  readonly schema: SchemaAccess;
  readonly names: Names;
  readonly evaluator: FilterEvaluator;
  readonly planner: FilterPlanner;
  readonly entries: EntryStore;
  readonly accounts: AccountStore;
  readonly options: DirectoryTreeOptions;
  /** ms since the Unix epoch. */
  now(): number;
  readonly events: EventEmitter<DirectoryEvents>;
  /** Normalised DNs of the suffix and the two ILS containers. */
  readonly suffixNdn: string;
  readonly dynamicNdn: string;
  readonly applicationsNdn: string;
  /** Normalised DN of `ou=accounts,<suffix>`, under which account bind DNs live. */
  readonly accountsNdn: string;
  /**
   * The protocol's encoding of an entry's user attributes: how the store keeps every entry,
   * and what searches send as it is and evaluate filters on.
   */
  readonly attributeCodec: AttributeCodec;
  /** Makes the CSN of each change (used in the writing process only). */
  readonly csn: CsnClock;
  /** This process's view of the change log, woken after each recorded change. */
  readonly feed: ChangeFeed;
}
