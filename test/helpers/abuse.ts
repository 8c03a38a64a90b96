/**
 * What the abuse probes (test/abuse/) measure a server with: hand-built requests of any size
 * and shape (BER, through {@link RawConnection}), the CPU seconds and resident memory of the
 * server's processes from /proc (bench/proc.ts), and the latency another client sees while
 * an attack runs.
 */
import { childrenOf, processCpuSeconds, rssMiB } from '../../bench/proc.js';
import { berInteger, berString, ldapMessage, RawConnection, rootDseSearchRequest, simpleBindRequest, tlv, type LdapMessage } from './raw-ldap.js';

/** An attribute of a hand-built add or modify: a type and its values. */
export interface RawAttribute {
  type: string;
  values: readonly (string | Buffer)[];
}

const attribute = (a: RawAttribute): Buffer => tlv(0x30, Buffer.concat([berString(a.type), tlv(0x31, Buffer.concat(a.values.map((v) => berString(v))))]));

/** DelRequest [APPLICATION 10] LDAPDN. */
export function deleteRequest(id: number, dn: string): Buffer {
  return ldapMessage(id, berString(dn, 0x4a));
}

/** AddRequest [APPLICATION 8] { entry, attributes }: types may repeat, as an attacker sends them. */
export function addRequest(id: number, dn: string, attributes: readonly RawAttribute[]): Buffer {
  return ldapMessage(id, tlv(0x68, Buffer.concat([berString(dn), tlv(0x30, Buffer.concat(attributes.map(attribute)))])));
}

/** ModifyRequest [APPLICATION 6] { object, changes }: operation 0 add, 1 delete, 2 replace. */
export function modifyRequest(id: number, dn: string, changes: ReadonlyArray<{ operation: 0 | 1 | 2; modification: RawAttribute }>): Buffer {
  const list = changes.map((c) => tlv(0x30, Buffer.concat([berInteger(c.operation, 0x0a), attribute(c.modification)])));
  return ldapMessage(id, tlv(0x66, Buffer.concat([berString(dn), tlv(0x30, Buffer.concat(list))])));
}

/** An equality filter `(type=value)`, as BER. */
export const equalityFilter = (type: string, value: string): Buffer => tlv(0xa3, Buffer.concat([berString(type), berString(value)]));

/** An OR filter of the given filters, as BER. */
export const orFilter = (filters: readonly Buffer[]): Buffer => tlv(0xa1, Buffer.concat(filters));

/** SearchRequest [APPLICATION 3] with a filter given as BER (scope 0 base, 1 one, 2 sub), no attributes asked for ('1.1' returns none). */
export function filterSearchRequest(id: number, base: string, scope: 0 | 1 | 2, filter: Buffer, attributes: string[] = []): Buffer {
  const body = Buffer.concat([
    berString(base),
    berInteger(scope, 0x0a),
    berInteger(0, 0x0a), // derefAliases never
    berInteger(0), // sizeLimit
    berInteger(0), // timeLimit
    tlv(0x01, [0x00]), // typesOnly FALSE
    filter,
    tlv(0x30, Buffer.concat(attributes.map((a) => berString(a)))),
  ]);
  return ldapMessage(id, tlv(0x63, body));
}

/** The final response of each request id (the LDAPResult-shaped message), once all `ids` have one. */
export async function results(connection: RawConnection, ids: readonly number[], ms = 20_000): Promise<Map<number, LdapMessage>> {
  const wanted = new Set(ids);
  const final = (m: LdapMessage): boolean => m.resultCode !== undefined && wanted.has(m.id);
  const messages = await connection.waitUntil((all) => all.filter(final).length >= wanted.size, ms);
  return new Map(messages.filter(final).map((m) => [m.id, m]));
}

/** Sends `requests` (one per id, pipelined on one connection) and waits for their results. */
export async function sendAll(port: number, requests: ReadonlyArray<[id: number, request: Buffer]>, from?: string, ms = 20_000): Promise<Map<number, LdapMessage>> {
  const connection = await RawConnection.open(port, '127.0.0.1', from);
  try {
    connection.write(Buffer.concat(requests.map(([, r]) => r)));
    return await results(connection, requests.map(([id]) => id), ms);
  } finally {
    connection.destroy();
  }
}

/** One client connection (from `from`, any 127.x address) sending one request at a time and reading its result. */
export class Session {
  #next = 1;

  private constructor(readonly connection: RawConnection) {}

  static async open(port: number, from?: string): Promise<Session> {
    return new Session(await RawConnection.open(port, '127.0.0.1', from));
  }

  /** Sends the request `build` makes with the next message id; its result. */
  async send(build: (id: number) => Buffer): Promise<LdapMessage> {
    const id = this.#next++;
    this.connection.write(build(id));
    const answer = (await results(this.connection, [id])).get(id);
    if (!answer) throw new Error(`no result for request ${id}`);
    return answer;
  }

  bind(dn: string, password: string): Promise<LdapMessage> {
    return this.send((id) => simpleBindRequest(id, dn, password));
  }

  add(dn: string, attributes: readonly RawAttribute[]): Promise<LdapMessage> {
    return this.send((id) => addRequest(id, dn, attributes));
  }

  delete(dn: string): Promise<LdapMessage> {
    return this.send((id) => deleteRequest(id, dn));
  }

  modify(dn: string, changes: Parameters<typeof modifyRequest>[2]): Promise<LdapMessage> {
    return this.send((id) => modifyRequest(id, dn, changes));
  }

  /** The result code of a base-scope read of `dn` (0 when it exists). */
  async exists(dn: string): Promise<boolean> {
    const r = await this.send((id) => filterSearchRequest(id, dn, 0, presentFilter('objectClass')));
    if (r.resultCode !== 0 && r.resultCode !== 32) throw new Error(`reading ${dn}: ${r.resultCode} ${r.diagnosticMessage}`);
    return r.resultCode === 0;
  }

  close(): void {
    this.connection.destroy();
  }
}

/** A present filter `(type=*)`, as BER. */
export const presentFilter = (type: string): Buffer => berString(type, 0x87);

/** CPU seconds of the primary process and of its workers together. */
export function serverCpu(pid: number): { primary: number; workers: number } {
  return { primary: processCpuSeconds(pid), workers: childrenOf(pid).reduce((sum, p) => sum + processCpuSeconds(p), 0) };
}

/** CPU seconds the server spent (primary, workers) while `work` ran, and what it returned. */
export async function cpuOf<T>(pid: number, work: () => Promise<T>): Promise<{ primary: number; workers: number; value: T }> {
  const before = serverCpu(pid);
  const value = await work();
  const after = serverCpu(pid);
  return { primary: after.primary - before.primary, workers: after.workers - before.workers, value };
}

/** Resident memory of the primary and of each worker, in MiB. */
export function serverRss(pid: number): { primary: number; workers: number[] } {
  const workers = childrenOf(pid);
  return { primary: rssMiB(pid) - workers.reduce((sum, p) => sum + rssMiB(p), 0), workers: workers.map((p) => rssMiB(p)) };
}

/** The largest value. */
export const max = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), 0);

/** The median. */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * A reader on its own connection reading the root DSE over and over, one request at a time:
 * {@link Reader.during} returns how long each read took while something else ran.
 */
export class Reader {
  #next = 1;

  private constructor(readonly connection: RawConnection) {}

  static async open(port: number): Promise<Reader> {
    return new Reader(await RawConnection.open(port));
  }

  /** One root DSE read; its latency in ms. */
  async read(): Promise<number> {
    const id = this.#next++;
    const started = performance.now();
    this.connection.write(rootDseSearchRequest(id));
    const answered = await results(this.connection, [id], 60_000);
    if (answered.get(id)?.resultCode !== 0) throw new Error(`root DSE read ${id} failed: ${JSON.stringify(answered.get(id))}`);
    return performance.now() - started;
  }

  /** Latencies of `count` reads in a row. */
  async reads(count: number): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < count; i += 1) latencies.push(await this.read());
    return latencies;
  }

  /** Reads in a row while `work` runs (at least one, and one after it started); the work's value and the latencies. */
  async during<T>(work: Promise<T>): Promise<{ value: T; latencies: number[] }> {
    let done = false;
    const finished = work.finally(() => (done = true));
    const latencies: number[] = [];
    do latencies.push(await this.read());
    while (!done);
    return { value: await finished, latencies };
  }

  close(): void {
    this.connection.destroy();
  }
}

/**
 * The latency another client may see during an attack: its usual worst (the largest of the
 * baseline reads, which on a shared machine already holds its hiccups) times three, plus
 * 1.5 s of scheduling slack: the suite runs four files at once on two cores, and a
 * neighbour's burst lands on some reads (a clean-clone CI run saw one root DSE read of
 * 624 ms under test/abuse/pipelining.test.ts, whose reads take at most 25 ms alone; 500 ms of
 * slack was too little). The attacks this guards against stalled a process for 27 to 41 s,
 * still twenty times the bound.
 */
export const usualLatencyBound = (baseline: readonly number[]): number => 3 * max(baseline) + 1500;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How much each server process grew from `before` to `after` ({@link serverRss}), in MiB: the primary, then each worker. */
export function rssGrowth(before: ReturnType<typeof serverRss>, after: ReturnType<typeof serverRss>): number[] {
  return [after.primary - before.primary, ...after.workers.map((mib, i) => mib - (before.workers[i] ?? 0))];
}

/** `RSS a+b -> c+d MiB` (the primary, then each worker) for a test's output. */
export function describeRss(before: ReturnType<typeof serverRss>, after: ReturnType<typeof serverRss>): string {
  const list = (r: ReturnType<typeof serverRss>): string => [r.primary, ...r.workers].map((v) => v.toFixed(0)).join('+');
  return `RSS ${list(before)} -> ${list(after)} MiB`;
}

/**
 * {@link serverRss} once every process is within `marginMiB` of `before`, or after `ms` (what
 * it is then): freed buffers leave the resident set only when the collector has run and the
 * allocator gives the pages back, which an idle server may take a while to do.
 */
export async function settledRss(pid: number, before: ReturnType<typeof serverRss>, marginMiB: number, ms = 3000): Promise<ReturnType<typeof serverRss>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = serverRss(pid);
    if (rssGrowth(before, now).every((growth) => growth < marginMiB) || Date.now() >= deadline) return now;
    await sleep(250);
  }
}

/** The lines of a server's log that match `pattern`. */
export function logLines(server: { logs(): string }, pattern: RegExp): string[] {
  return server.logs().split('\n').filter((line) => pattern.test(line));
}
