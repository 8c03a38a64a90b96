/**
 * The workloads: what each operation of a measurement sends. A workload builds, per
 * connection, a source of pre-encoded operations from the data set; the same seed gives
 * both servers the same sequence of requests.
 */
import { conference, conferenceDn, conferenceUid, CONTAINER, personDn, SUFFIX, timeRange, type DataSet } from './data.js';
import { Random } from './random.js';
import { addOp, deleteOp, pagedControl, pagedCookie, refreshOp, Scope, searchOp, type Filter } from './requests.js';
import { CONFERENCE_SCHEMA } from '../src/client/conference.js';
import type { ResponseControl } from '../src/protocol/index.js';
import { toGeneralizedTime } from '../src/sdp/index.js';

export type Target = 'rendezvous' | 'slapd';

export const WORKLOAD_NAMES = ['equality', 'equalityBlob', 'equalityTimes', 'subtree', 'ilsEnumeration', 'netmeeting', 'timeWindow', 'substring', 'addDelete', 'refresh'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** Where a connection's operations come from. */
export interface SourceContext {
  set: DataSet;
  target: Target;
  /** Distinct per connection across all load processes of a measurement. */
  connection: number;
  seed: number;
}

/** A connection's operations: the next one to send, and what to send after the last. */
export interface Source {
  next(): Buffer;
  /** The request controls of the operation `next()` just returned (none when absent). */
  controls?(): ResponseControl[];
  /** Sees each operation's final response (the whole PDU, valid during the call): a paged search's cookie. */
  answered?(final: Buffer | undefined): void;
  /** Operations that restore the data set after the measurement (e.g. delete a pending add). */
  cleanup(): Buffer[];
}

export interface Workload {
  name: WorkloadName;
  /** One line for the report. */
  describe(set: DataSet): string;
  /** Writes need a bound administrator; searches run anonymously, as ldclt's do. */
  bind: boolean;
  /** Result codes besides success that count as answers (sizeLimitExceeded for a listing the server's limit cuts). */
  accepts?: readonly number[];
  source(context: SourceContext): Source;
}

/** Requests drawn from a pre-encoded pool: encoding stays out of the measured loop. */
const POOL = 4096;

function pooled(context: SourceContext, make: (random: Random) => Buffer): Source {
  const random = Random.of(context.seed, 100, context.connection);
  const pool = Array.from({ length: POOL }, () => make(random));
  let next = 0;
  return { next: () => pool[next++ % POOL]!, cleanup: () => [] };
}

/** Width of the time window: an hour, what a "what is on now" view asks. */
const WINDOW_MS = 3_600_000;
/** TTL asked by refreshes: the servers' maximum, so the data set never expires mid-run. */
export const REFRESH_TTL = 86_400;

/** A random conference's uid. */
const anyConference = (context: SourceContext, r: Random): Filter => ({ equal: ['uid', conferenceUid(r.int(0, context.set.conferences - 1))] });

const equality: Workload = {
  name: 'equality',
  describe: () => `one-level search (uid=conf-NNNNNNN) under ${CONTAINER}, random uid, all attributes (1 entry)`,
  bind: false,
  source: (context) => pooled(context, (r) => searchOp(CONTAINER, Scope.one, anyConference(context, r))),
};

/** What `ldapsearch ... uid conferenceBlob` asks: a client that wants the blob and its name. */
export const BLOB_ATTRIBUTES = ['uid', 'conferenceBlob'] as const;
/** A schedule view: the times and the title, not the blob. */
export const TIMES_ATTRIBUTES = ['startTime', 'stopTime', 'generalDescription'] as const;

const equalityBlob: Workload = {
  name: 'equalityBlob',
  describe: () => `the equality search, asking for \`${BLOB_ATTRIBUTES.join(' ')}\` (1 entry)`,
  bind: false,
  source: (context) => pooled(context, (r) => searchOp(CONTAINER, Scope.one, anyConference(context, r), BLOB_ATTRIBUTES)),
};

const equalityTimes: Workload = {
  name: 'equalityTimes',
  describe: () => `the equality search, asking for \`${TIMES_ATTRIBUTES.join(' ')}\` (1 entry)`,
  bind: false,
  source: (context) => pooled(context, (r) => searchOp(CONTAINER, Scope.one, anyConference(context, r), TIMES_ATTRIBUTES)),
};

const subtree: Workload = {
  name: 'subtree',
  describe: () => `subtree search (uid=conf-NNNNNNN) from the suffix ${SUFFIX}, random uid, all attributes (1 entry)`,
  bind: false,
  source: (context) => pooled(context, (r) => searchOp(SUFFIX, Scope.sub, anyConference(context, r))),
};

/** RFC 2696 page size of the ILS enumeration: what the client library (TAPI's EnumerateDirectoryObjects) asks. */
export const ENUMERATION_PAGE = 100;
/** Pages of one enumeration before a connection starts over: the whole container at 10,000 conferences. */
export const ENUMERATION_PAGES = 100;
/** The filter TAPI's Dialer lists conferences with (src/client/directory.ts: objectClass and the name pattern `*`). */
export const ENUMERATION_FILTER: Filter = { and: [{ equal: ['objectClass', CONFERENCE_SCHEMA.objectClass] }, { present: 'uid' }] };

/**
 * TAPI's conference enumeration: a one-level paged search under the container for the
 * attributes its Dialer reads. One operation is one page: each connection reads page after
 * page with the cookie of the one before, and starts a new enumeration after the last page
 * or after {@link ENUMERATION_PAGES} pages (at 1,000,000 conferences a whole enumeration is
 * 10,000 pages: the measurement would depend on how deep a connection got).
 */
const ilsEnumeration: Workload = {
  name: 'ilsEnumeration',
  describe: (set) =>
    `TAPI's conference enumeration: one-level (&(objectClass=rtConference)(uid=*)) under ${CONTAINER} for \`${CONFERENCE_SCHEMA.attributes.join(' ')}\`, paged results of ${ENUMERATION_PAGE}; one operation is one page, each connection reads pages in order with the previous page's cookie and starts over after ${Math.min(ENUMERATION_PAGES, Math.ceil(set.conferences / ENUMERATION_PAGE))} pages (${set.conferences <= ENUMERATION_PAGE * ENUMERATION_PAGES ? 'the whole enumeration' : `the first ${(ENUMERATION_PAGE * ENUMERATION_PAGES).toLocaleString('en-US')} entries`}) (${ENUMERATION_PAGE} entries)`,
  bind: false,
  source: () => {
    const op = searchOp(CONTAINER, Scope.one, ENUMERATION_FILTER, CONFERENCE_SCHEMA.attributes);
    let cookie: Buffer = Buffer.alloc(0);
    let page = 0;
    return {
      next: () => op,
      controls: () => [pagedControl(ENUMERATION_PAGE, cookie)],
      answered: (final) => {
        const next = final ? pagedCookie(final) : undefined;
        page += 1;
        // Over, cut short, or failed: a new enumeration (an empty cookie starts one).
        if (!next || next.length === 0 || page >= ENUMERATION_PAGES) {
          cookie = Buffer.alloc(0);
          page = 0;
        } else {
          cookie = next;
        }
      },
      cleanup: () => [],
    };
  },
};

/** What NetMeeting's directory view asks for each person, by the names it sends (wire names, [MS-TAIL] §2.2.5). */
export const NETMEETING_ATTRIBUTES = ['cn', 'givenname', 'surname', 'rfc822mailbox', 'location', 'comment', 'c', 'sipaddress', 'sflags', 'ilsA39321630', 'ilsA32833566', 'ilsA32964638', 'ilsA26214430'] as const;
export const NETMEETING_FILTER: Filter = { and: [{ equal: ['objectClass', 'rtPerson'] }, { equal: ['sappid', 'ms-netmeeting'] }, { equal: ['sprotid', 'h323'] }] };
/** sizeLimitExceeded: both servers answer at most 1000 entries per search. */
const SIZE_LIMIT_EXCEEDED = 4;

/** NetMeeting's directory listing: every NetMeeting user of the container (LDAPv2: no paging). */
const netmeeting: Workload = {
  name: 'netmeeting',
  describe: (set) =>
    `NetMeeting's directory listing: one-level (&(objectClass=rtPerson)(sappid=ms-netmeeting)(sprotid=h323)) under ${CONTAINER} for \`${NETMEETING_ATTRIBUTES.join(' ')}\` (every person: ${Math.min(set.people, 1000).toLocaleString('en-US')} entries${set.people > 1000 ? ', then sizeLimitExceeded, counted as an answer: both servers stop at 1,000 entries a search' : ''})`,
  bind: false,
  accepts: [SIZE_LIMIT_EXCEEDED],
  source: () => {
    const op = searchOp(CONTAINER, Scope.one, NETMEETING_FILTER, NETMEETING_ATTRIBUTES);
    return { next: () => op, cleanup: () => [] };
  },
};

/** The filter of a one-hour window starting at `from`. */
export function windowFilter(from: number): Filter {
  return {
    and: [
      { equal: ['objectClass', 'rtConference'] },
      { lessOrEqual: ['startTime', toGeneralizedTime(new Date(from + WINDOW_MS))] },
      { greaterOrEqual: ['stopTime', toGeneralizedTime(new Date(from))] },
    ],
  };
}

const timeWindow: Workload = {
  name: 'timeWindow',
  describe: () => `one-level search (&(objectClass=rtConference)(startTime<=T1)(stopTime>=T0)), T1 = T0 + 1 h, T0 random in the data's time range, all attributes`,
  bind: false,
  source: (context) => {
    const range = timeRange(context.set);
    return pooled(context, (r) => searchOp(CONTAINER, Scope.one, windowFilter(Math.floor(range.from + r.next() * (range.to - range.from - WINDOW_MS)))));
  },
};

/** `conf-NNNNNN`: a uid prefix that ten conferences share. */
export function uidPrefix(tens: number): string {
  return conferenceUid(tens * 10).slice(0, -1);
}

const substring: Workload = {
  name: 'substring',
  describe: () => `one-level search (uid=conf-NNNNNN*), random prefix, all attributes (10 entries)`,
  bind: false,
  source: (context) => pooled(context, (r) => searchOp(CONTAINER, Scope.one, { initial: ['uid', uidPrefix(r.int(0, Math.floor(context.set.conferences / 10) - 1))] })),
};

/**
 * Adds a new conference, then deletes it, alternately: each connection reuses one name, so
 * the data set is the same after the run. The contents vary (a pool of generated conferences
 * beyond the loaded ones, so their multicast groups clash with nothing).
 */
const addDelete: Workload = {
  name: 'addDelete',
  describe: () => 'add a new conference (blob; slapd also gets the derived attributes), then delete it; each counts as one operation',
  bind: true,
  source: (context) => {
    const uid = `bench-${context.connection}`;
    const dn = conferenceDn(uid);
    const remove = deleteOp(dn);
    const adds = Array.from({ length: 16 }, (_, k) => {
      const entry = conference(context.set, context.set.conferences + context.connection * 16 + k, uid);
      return addOp(dn, context.target === 'slapd' ? [...entry.attributes, ...entry.derived] : entry.attributes);
    });
    let step = 0;
    return {
      next: () => {
        const op = step % 2 === 0 ? adds[(step / 2) % adds.length]! : remove;
        step += 1;
        return op;
      },
      // Stopped after an add: delete it, so the next measurement's first add does not collide.
      cleanup: () => (step % 2 === 1 ? [remove] : []),
    };
  },
};

const refresh: Workload = {
  name: 'refresh',
  describe: () => `RFC 2589 refresh (TTL ${REFRESH_TTL} s) of a random person (ILS registrations are what clients keep alive)`,
  bind: true,
  source: (context) => pooled(context, (r) => refreshOp(personDn(context.set, r.int(0, context.set.people - 1)), REFRESH_TTL)),
};

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = { equality, equalityBlob, equalityTimes, subtree, ilsEnumeration, netmeeting, timeWindow, substring, addDelete, refresh };
