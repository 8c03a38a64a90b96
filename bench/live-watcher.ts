/**
 * A watcher process of the live-update workloads (forked by live.ts): opens its share of the
 * watchers, RFC 4533 refreshAndPersist searches spread over connections (at most
 * `perConnection` on one, within the server's per-connection limit), each resuming from a
 * cookie so that its refresh phase is short; then timestamps every change it receives.
 *
 * Each change is matched to the write that made it by its DN and Sync State (the writes add
 * entries of known names, and modify each later once); the parent, which writes, sends each write's send
 * and acknowledgement times. A change is measured from
 * its acknowledgement (and from its sending) to its arrival here, on the same clock
 * (performance.timeOrigin + now(), comparable across processes); a change that arrives before
 * its acknowledgement waits here for it, and counts as "before the ack".
 */
import { LoadConnection, resultCode } from './connection.js';
import { Histogram } from './histogram.js';
import { Scope, searchOp, syncControl, type Filter } from './requests.js';
import { decodeSyncInfo, decodeSyncState, Op, readTlv, SYNC_STATE_OID } from '../src/protocol/index.js';

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
  /** Writes with sequence numbers in [first, last] are measured; others only counted. */
  first: number;
  last: number;
}

/** What a watcher process reports. */
export interface WatcherResult {
  /** Acknowledgement → arrival, µs (arrivals before the acknowledgement count as 0). */
  afterAck: Array<[number, number]>;
  /** Sending of the write → arrival, µs. */
  afterSend: Array<[number, number]>;
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

const now = (): number => performance.timeOrigin + performance.now();
const send = (message: unknown): void => void process.send?.(message);

/**
 * The write an entry message reports: its DN names the added entry (`<prefix>J`) and its Sync
 * State (add or modify; read with the project's codec) which of the entry's two writes it is,
 * however late it is read. -1 for anything else.
 */
function sequenceOf(pdu: Buffer, op: { start: number; end: number }, t: WatcherTask): number {
  const dn = readTlv(pdu, op.start, op.end);
  const name = pdu.toString('latin1', dn.start, dn.end);
  if (!name.startsWith(t.prefix)) return -1;
  const slot = Number.parseInt(name.slice(t.prefix.length), 10);
  if (!(slot >= 0) || op.end >= pdu.length) return -1;
  const controls = readTlv(pdu, op.end, pdu.length);
  for (let at = controls.start; at < controls.end; ) {
    const control = readTlv(pdu, at, controls.end);
    at = control.end;
    const oid = readTlv(pdu, control.start, control.end);
    if (pdu.toString('latin1', oid.start, oid.end) !== SYNC_STATE_OID) continue;
    let value = readTlv(pdu, oid.end, control.end);
    if (value.tag === 0x01) value = readTlv(pdu, value.end, control.end);
    const { state } = decodeSyncState(pdu.subarray(value.start, value.end));
    return (state === 'add' ? t.addSeq[slot] : state === 'modify' ? t.modifySeq[slot] : undefined) ?? -1;
  }
  return -1;
}

let task: WatcherTask | undefined;
const connections: LoadConnection[] = [];
const afterAck = new Histogram();
const afterSend = new Histogram();
const acked = new Map<number, [sentAt: number, ackAt: number]>();
const waiting = new Map<number, number[]>();
const result: WatcherResult = { afterAck: [], afterSend: [], delivered: 0, beforeAck: 0, messages: 0, bytes: 0, ended: {}, presentPhases: 0 };
let open = 0;

function record(arrived: number, sentAt: number, ackAt: number): void {
  result.delivered += 1;
  if (arrived < ackAt) result.beforeAck += 1;
  afterAck.record(Math.max(0, arrived - ackAt) * 1000);
  afterSend.record((arrived - sentAt) * 1000);
}

/** Opens one watcher; resolves when its refresh phase is over (or rejects when the server ends it first). */
function watch(connection: LoadConnection, t: WatcherTask): Promise<void> {
  return new Promise((resolve, reject) => {
    let refreshed = false;
    connection.live(searchOp(t.base, Scope.one, t.filter), [syncControl({ mode: 'refreshAndPersist', cookie: Buffer.from(t.cookie), reloadHint: false })], (pdu, op) => {
      if (op.tag === Op.searchResultEntry) {
        if (!refreshed) return;
        const arrived = now();
        result.messages += 1;
        result.bytes += pdu.length;
        const seq = sequenceOf(pdu, op, t);
        if (seq < t.first || seq > t.last) return;
        const times = acked.get(seq);
        if (times) record(arrived, times[0], times[1]);
        else {
          const list = waiting.get(seq);
          if (list) list.push(arrived);
          else waiting.set(seq, [arrived]);
        }
      } else if (op.tag === Op.intermediateResponse && !refreshed) {
        // responseValue [1] after the OID [0]: the Sync Info that ends the refresh phase.
        const name = readTlv(pdu, op.start, op.end);
        const value = readTlv(pdu, name.end, op.end);
        const info = decodeSyncInfo(pdu.subarray(value.start, value.end));
        if (info.type === 'refreshPresent') result.presentPhases += 1;
        if ((info.type === 'refreshDelete' || info.type === 'refreshPresent') && info.refreshDone) {
          refreshed = true;
          open += 1;
          resolve();
        }
      } else if (op.tag === Op.searchResultDone) {
        const code = resultCode(pdu, op);
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
  while (result.delivered + [...waiting.values()].reduce((n, l) => n + l.length, 0) < expected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  result.afterAck = afterAck.toPairs();
  result.afterSend = afterSend.toPairs();
  return result;
}

process.on('message', (message: WatcherMessage) => {
  if (message.type === 'prepare') {
    task = message.task;
    prepare(task).then(
      () => send({ type: 'ready' }),
      (error: Error) => send({ type: 'error', message: error.message }),
    );
  } else if (message.type === 'acks') {
    for (const [seq, sentAt, ackAt] of message.acks) {
      acked.set(seq, [sentAt, ackAt]);
      const list = waiting.get(seq);
      if (!list) continue;
      waiting.delete(seq);
      for (const arrived of list) record(arrived, sentAt, ackAt);
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
