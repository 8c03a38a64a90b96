/**
 * A watcher process of the live-update workloads (forked by live.ts): opens its share of the
 * watchers, RFC 4533 refreshAndPersist searches spread over connections (at most
 * `perConnection` on one, within the server's per-connection limit), each resuming from a
 * cookie so that its refresh phase is short; then timestamps every change it receives.
 *
 * Each change is matched to the write that made it by its DN and Sync State (the writes add
 * entries of known names, and modify each later once); the parent, which writes, sends each write's send
 * and acknowledgement times. A change is measured from
 * its acknowledgement (and from its sending) to its arrival here (the read from the socket
 * that brought it), on the same clock (performance.timeOrigin + performance.now(), comparable
 * across processes); a change that arrives before its acknowledgement waits here for it, and
 * counts as "before the ack".
 */
import { LoadConnection, resultCode } from './connection.js';
import { Histogram } from './histogram.js';
import { Scope, searchOp, syncControl, type Filter } from './requests.js';
import { decodeSyncInfo, Op, readTlv, readTlvInto, SYNC_STATE_OID, tlvHolder } from '../src/protocol/index.js';

/** What the parent asks for. */
export interface WatcherTask {
  port: number;
  watchers: number;
  perConnection: number;
  base: string;
  filter: Filter;
  /** The cookie the watchers resume from (a recent one: short refresh phases). */
  cookie: string;
  /** The start of the written entries' DNs, `uid=live…-` (the slot number J follows). */
  prefix: string;
  /** By slot J: the number of the write that added it, and of the one that modified it (-1: none). */
  addSeq: number[];
  modifySeq: number[];
  /** Writes with sequence numbers in [first, last] are measured; the warm-up's (below `first`) kept apart. */
  first: number;
  last: number;
}

/** What a watcher process reports. */
export interface WatcherResult {
  /** Acknowledgement → arrival, µs (arrivals before the acknowledgement count as 0). */
  afterAck: Array<[number, number]>;
  /** Sending of the write → arrival, µs. */
  afterSend: Array<[number, number]>;
  /** Acknowledgement → arrival of the warm-up's writes (numbered below `first`), µs. */
  warmupAfterAck: Array<[number, number]>;
  /** Measured changes received, and how many of them arrived before their write's acknowledgement. */
  delivered: number;
  beforeAck: number;
  /** Changes received in all (outside the measured range too), and their bytes. */
  messages: number;
  bytes: number;
  /** Live searches the server ended (result code → count; -1: connection lost). */
  ended: Record<string, number>;
  /** refreshPresent answers (a full present phase; expected none with a fresh cookie). */
  presentPhases: number;
}

export type WatcherMessage =
  | { type: 'prepare'; task: WatcherTask }
  | { type: 'acks'; acks: Array<[seq: number, sentAt: number, ackAt: number]> }
  /** `writes`: the measured writes that succeeded, each of which every open watcher is to receive. */
  | { type: 'finish'; graceMs: number; writes: number };

const send = (message: unknown): void => void process.send?.(message);

/** Sync State's state values (RFC 4533 §2.2): add and modify. */
const ADD = 1;
const MODIFY = 2;

const SYNC_STATE = Buffer.from(SYNC_STATE_OID, 'latin1');

/** Whether `buffer[at..]` starts with `bytes` (a short JavaScript loop: cheaper than Buffer.compare's call into C++). */
function startsWith(buffer: Buffer, at: number, end: number, bytes: Buffer): boolean {
  if (end - at < bytes.length) return false;
  for (let i = 0; i < bytes.length; i += 1) if (buffer[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * The write an entry message reports: its DN names the added entry (`<prefix>J`) and its Sync
 * State (add or modify) which of the entry's two writes it is, however late it is read. -1 for
 * anything else. Read in place, byte by byte: a watcher process reads hundreds of thousands of
 * these a second on the cores the server uses, so its cost is kept out of the server's figures.
 */
function sequenceOf(buffer: Buffer, op: { start: number; end: number }, end: number, t: WatcherTask, prefix: Buffer): number {
  const dn = readTlvInto(DN, buffer, op.start, op.end);
  if (dn.end - dn.start <= prefix.length || !startsWith(buffer, dn.start, dn.end, prefix)) return -1;
  let slot = 0;
  let at = dn.start + prefix.length;
  for (; at < dn.end; at += 1) {
    const digit = buffer[at]! - 0x30;
    if (digit < 0 || digit > 9) break;
    slot = slot * 10 + digit;
  }
  if (at === dn.start + prefix.length || op.end >= end) return -1;
  const controls = readTlvInto(CONTROLS, buffer, op.end, end);
  for (let next = controls.start; next < controls.end; ) {
    const control = readTlvInto(CONTROL, buffer, next, controls.end);
    next = control.end;
    const oid = readTlvInto(OID, buffer, control.start, control.end);
    if (oid.end - oid.start !== SYNC_STATE.length || !startsWith(buffer, oid.start, oid.end, SYNC_STATE)) continue;
    // controlValue after the criticality, if any.
    const value = readTlvInto(VALUE, buffer, oid.end, control.end);
    if (value.tag === 0x01) readTlvInto(VALUE, buffer, value.end, control.end);
    // syncStateValue ::= SEQUENCE { state ENUMERATED, entryUUID, cookie OPTIONAL }
    const sequence = readTlvInto(SEQUENCE, buffer, value.start, value.end);
    const state = readTlvInto(STATE, buffer, sequence.start, sequence.end);
    if (state.tag !== 0x0a || state.end - state.start !== 1) return -1;
    const kind = buffer[state.start];
    return (kind === ADD ? t.addSeq[slot] : kind === MODIFY ? t.modifySeq[slot] : undefined) ?? -1;
  }
  return -1;
}

/** What {@link sequenceOf} reads elements into, reused: an object per element read was a fifth of a watcher process's time in the garbage collector. */
const DN = tlvHolder();
const CONTROLS = tlvHolder();
const CONTROL = tlvHolder();
const OID = tlvHolder();
const VALUE = tlvHolder();
const SEQUENCE = tlvHolder();
const STATE = tlvHolder();

let task: WatcherTask | undefined;
const connections: LoadConnection[] = [];
const afterAck = new Histogram();
const afterSend = new Histogram();
const warmupAfterAck = new Histogram();
/** By write number: when it was sent and acknowledged (NaN until the parent says). */
let sentAt = new Float64Array(0);
let ackAt = new Float64Array(0);
/** Arrivals of changes whose acknowledgement has not come yet, by write number. */
const waiting = new Map<number, number[]>();
const result: WatcherResult = { afterAck: [], afterSend: [], warmupAfterAck: [], delivered: 0, beforeAck: 0, messages: 0, bytes: 0, ended: {}, presentPhases: 0 };
let open = 0;

/** Records the arrival of write `seq`'s change: in the warm-up's histogram, or as measured. */
function record(seq: number, arrived: number, sent: number, acked: number): void {
  if (seq < task!.first) {
    warmupAfterAck.record(Math.max(0, arrived - acked) * 1000);
    return;
  }
  result.delivered += 1;
  if (arrived < acked) result.beforeAck += 1;
  afterAck.record(Math.max(0, arrived - acked) * 1000);
  afterSend.record((arrived - sent) * 1000);
}

/**
 * Opens one watcher; resolves when its refresh phase is over (or rejects when the server ends
 * it first). A change's arrival is when the read that brought it returned
 * ({@link LoadConnection.receivedAt}).
 */
function watch(connection: LoadConnection, t: WatcherTask): Promise<void> {
  const prefix = Buffer.from(t.prefix, 'latin1');
  return new Promise((resolve, reject) => {
    let refreshed = false;
    connection.live(searchOp(t.base, Scope.one, t.filter), [syncControl({ mode: 'refreshAndPersist', cookie: Buffer.from(t.cookie), reloadHint: false })], (buffer, op, start, end) => {
      if (op.tag === Op.searchResultEntry) {
        if (!refreshed) return;
        result.messages += 1;
        result.bytes += end - start;
        const seq = sequenceOf(buffer, op, end, t, prefix);
        if (seq < 0 || seq > t.last) return;
        const arrived = connection.receivedAt;
        const acked = ackAt[seq]!;
        if (acked === acked) record(seq, arrived, sentAt[seq]!, acked);
        else {
          const list = waiting.get(seq);
          if (list) list.push(arrived);
          else waiting.set(seq, [arrived]);
        }
      } else if (op.tag === Op.intermediateResponse && !refreshed) {
        // responseValue [1] after the OID [0]: the Sync Info that ends the refresh phase.
        const name = readTlv(buffer, op.start, op.end);
        const value = readTlv(buffer, name.end, op.end);
        const info = decodeSyncInfo(buffer.subarray(value.start, value.end));
        if (info.type === 'refreshPresent') result.presentPhases += 1;
        if ((info.type === 'refreshDelete' || info.type === 'refreshPresent') && info.refreshDone) {
          refreshed = true;
          open += 1;
          resolve();
        }
      } else if (op.tag === Op.searchResultDone) {
        const code = resultCode(buffer, op);
        result.ended[code] = (result.ended[code] ?? 0) + 1;
        if (refreshed) open -= 1;
        else reject(new Error(`a watcher's sync search ended during its refresh phase with result code ${code}`));
      }
    });
  });
}

async function prepare(t: WatcherTask): Promise<void> {
  const opening: Array<Promise<void>> = [];
  for (let i = 0; i < t.watchers; i += 1) {
    if (i % t.perConnection === 0) connections.push(await LoadConnection.open(t.port));
    opening.push(watch(connections.at(-1)!, t));
    // Not all at once: a thousand refresh phases queued together only wait for each other.
    if (opening.length % 50 === 0) await Promise.all(opening);
  }
  await Promise.all(opening);
}

/** Resolves once every measured change has arrived at every open watcher, or after `graceMs`. */
async function finish(graceMs: number, writes: number): Promise<WatcherResult> {
  const deadline = Date.now() + graceMs;
  const expected = (): number => open * writes;
  // Arrivals still waiting for their acknowledgement count as delivered; the warm-up's do not count.
  const waitingMeasured = (): number => [...waiting].reduce((n, [seq, l]) => n + (seq >= task!.first ? l.length : 0), 0);
  while (result.delivered + waitingMeasured() < expected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  result.afterAck = afterAck.toPairs();
  result.afterSend = afterSend.toPairs();
  result.warmupAfterAck = warmupAfterAck.toPairs();
  return result;
}

process.on('message', (message: WatcherMessage) => {
  if (message.type === 'prepare') {
    task = message.task;
    sentAt = new Float64Array(task.last + 1).fill(Number.NaN);
    ackAt = new Float64Array(task.last + 1).fill(Number.NaN);
    prepare(task).then(
      () => send({ type: 'ready' }),
      (error: Error) => send({ type: 'error', message: error.message }),
    );
  } else if (message.type === 'acks') {
    for (const [seq, sent, acked] of message.acks) {
      sentAt[seq] = sent;
      ackAt[seq] = acked;
      const list = waiting.get(seq);
      if (!list) continue;
      waiting.delete(seq);
      for (const arrived of list) record(seq, arrived, sent, acked);
    }
  } else if (message.type === 'finish') {
    finish(message.graceMs, message.writes).then(
      (r) => send({ type: 'result', result: r }),
      (error: Error) => send({ type: 'error', message: error.message }),
    );
  }
});
process.on('disconnect', () => {
  for (const c of connections) c.close();
  process.exit(0);
});
