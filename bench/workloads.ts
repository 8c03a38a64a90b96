/**
 * The workloads: what each operation of a measurement sends. A workload builds, per
 * connection, a source of pre-encoded operations from the data set; the same seed gives
 * both servers the same sequence of requests.
 */
import { conference, conferenceDn, conferenceUid, CONTAINER, personDn, timeRange, type DataSet } from './data.js';
import { Random } from './random.js';
import { addOp, deleteOp, refreshOp, Scope, searchOp, type Filter } from './requests.js';
import { toGeneralizedTime } from '../src/sdp/index.js';

export type Target = 'rendezvous' | 'slapd';

export const WORKLOAD_NAMES = ['equality', 'timeWindow', 'substring', 'addDelete', 'refresh'] as const;
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
  /** Operations that restore the data set after the measurement (e.g. delete a pending add). */
  cleanup(): Buffer[];
}

export interface Workload {
  name: WorkloadName;
  /** One line for the report. */
  describe(set: DataSet): string;
  /** Writes need a bound administrator; searches run anonymously, as ldclt's do. */
  bind: boolean;
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

const equality: Workload = {
  name: 'equality',
  describe: () => `one-level search (uid=conf-NNNNNNN) under ${CONTAINER}, random uid, all attributes (1 entry)`,
  bind: false,
  source: (context) => pooled(context, (r) => searchOp(CONTAINER, Scope.one, { equal: ['uid', conferenceUid(r.int(0, context.set.conferences - 1))] })),
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

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = { equality, timeWindow, substring, addDelete, refresh };
