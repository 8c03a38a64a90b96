/**
 * Adds and modifies of many attributes, values and changes, probed as an anonymous client of
 * an `--ils-open` server sends them (issue 22, item 6), through the wire with hand-built
 * requests, on a server with two workers (every write goes to the primary):
 *
 * - Over the limits (256 attributes listed in an add, 1,024 values an attribute, 256 changes
 *   a modify: docs/server.md, "Transport security and limits"), a request is refused with
 *   adminLimitExceeded by the worker that decodes it: the primary spends nothing on it, and
 *   another client's reads are answered within their usual latency meanwhile.
 * - Within them, the cost is linear: 254 repetitions of one attribute type cost what one
 *   attribute of 254 values costs, 256 changes of four values what two changes of 1,024.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRequest, cpuOf, equalityFilter, filterSearchRequest, max, modifyRequest, Reader, sendAll, usualLatencyBound, type RawAttribute } from '../helpers/abuse.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const SUCCESS = 0;
const ADMIN_LIMIT_EXCEEDED = 11;

const person = (cn: string): RawAttribute[] => [
  { type: 'objectClass', values: ['rtPerson', 'dynamicObject'] },
  { type: 'cn', values: [cn] },
];
const comments = (count: number, tag: string): string[] => Array.from({ length: count }, (_, i) => `${tag} comment ${i}`);

describe('attributes, values and changes, --ils-open --workers 2, anonymous', () => {
  let server: TestServer;
  let reader: Reader;
  let baseline: number[];
  beforeAll(async () => {
    // Anonymous requests as large as a bound client's: the attacks must reach the request
    // limits, not the anonymous PDU limit (test/abuse/partial-pdu.test.ts probes that).
    server = await startServer({ ilsOpen: true, args: ['--workers', '2', '--max-pdu-anonymous', String(4 * 1024 * 1024)] });
    reader = await Reader.open(server.port);
    await reader.reads(5);
    baseline = await reader.reads(20);
  });
  afterAll(async () => {
    reader.close();
    await server.stop();
  });

  /** Sends the requests (pipelined), checks each got `code`, and returns the CPU seconds of the primary and the workers. */
  async function cost(requests: Array<[number, Buffer]>, code: number): Promise<{ primary: number; workers: number; latencies: number[]; diagnostics: string[] }> {
    const { primary, workers, value } = await cpuOf(server.pid, () => reader.during(sendAll(server.port, requests, undefined, 60_000)));
    const answers = [...value.value.values()];
    expect(answers).toHaveLength(requests.length);
    for (const m of answers) expect(m.resultCode, m.diagnosticMessage).toBe(code);
    return { primary, workers, latencies: value.latencies, diagnostics: answers.map((m) => m.diagnosticMessage ?? '') };
  }

  it('an add listing 8,000 repeated attribute types is adminLimitExceeded from the worker; the primary spends nothing; reads go on', async () => {
    const attack = addRequest(1, `cn=flood,${DYNAMIC}`, [...person('flood'), ...comments(8000, 'flood').map((c) => ({ type: 'comment', values: [c] }))]);
    const started = performance.now();
    const r = await cost([[1, attack]], ADMIN_LIMIT_EXCEEDED);
    expect(performance.now() - started).toBeLessThan(5000); // was 36.8 s of a worker (the time includes the reader's last read, slow on a loaded machine)
    expect(r.diagnostics[0]).toBe('an add may list at most 256 attributes; this one lists more');
    expect(r.primary).toBeLessThan(0.05);
    expect(max(r.latencies)).toBeLessThan(usualLatencyBound(baseline));
  });

  it('a modify of 20,000 changes is adminLimitExceeded from the worker; the primary spends nothing; reads go on', async () => {
    const changes = comments(20_000, 'flood').map((c) => ({ operation: 0 as const, modification: { type: 'comment', values: [c] } }));
    const started = performance.now();
    const r = await cost([[1, modifyRequest(1, `cn=anyone,${DYNAMIC}`, changes)]], ADMIN_LIMIT_EXCEEDED);
    expect(performance.now() - started).toBeLessThan(5000); // was 27.8 s of the primary
    expect(r.diagnostics[0]).toBe('a modify may make at most 256 changes; this one makes more');
    expect(r.primary).toBeLessThan(0.05);
    expect(max(r.latencies)).toBeLessThan(usualLatencyBound(baseline));
  });

  it('1,025 values of one attribute are adminLimitExceeded, in an add as listed or merged from repetitions, and in a modify', async () => {
    const r = await sendAll(server.port, [
      [1, addRequest(1, `cn=many values,${DYNAMIC}`, [...person('many values'), { type: 'comment', values: comments(1025, 'v') }])],
      [2, addRequest(2, `cn=many merged,${DYNAMIC}`, [...person('many merged'), { type: 'comment', values: comments(1000, 'a') }, { type: 'comment', values: comments(25, 'b') }])],
      [3, modifyRequest(3, `cn=anyone,${DYNAMIC}`, [{ operation: 2, modification: { type: 'comment', values: comments(1025, 'm') } }])],
    ]);
    expect(r.get(1)?.resultCode).toBe(ADMIN_LIMIT_EXCEEDED);
    expect(r.get(1)?.diagnosticMessage).toBe('comment: more than 1024 values; at most 1024 are accepted');
    expect(r.get(2)?.resultCode).toBe(ADMIN_LIMIT_EXCEEDED);
    expect(r.get(3)?.resultCode).toBe(ADMIN_LIMIT_EXCEEDED);
  });

  it('an add of 254 repetitions of one type costs what one attribute of 254 values costs', async () => {
    const adds = (tag: string, repeated: boolean): Array<[number, Buffer]> =>
      Array.from({ length: 30 }, (_, i) => {
        const values = comments(254, `${tag}${i}`);
        const listed = repeated ? values.map((c) => ({ type: 'comment', values: [c] })) : [{ type: 'comment', values }];
        return [i + 1, addRequest(i + 1, `cn=${tag}${i},${DYNAMIC}`, [...person(`${tag}${i}`), ...listed])];
      });
    await cost(adds('warm', true), SUCCESS);
    const merged = await cost(adds('merged', false), SUCCESS);
    const repeated = await cost(adds('repeated', true), SUCCESS);
    expect(repeated.workers + repeated.primary).toBeLessThan(2 * (merged.workers + merged.primary) + 0.1);
    // What was sent is what is stored.
    const read = await sendAll(server.port, [[1, filterSearchRequest(1, DYNAMIC, 1, equalityFilter('comment', 'repeated29 comment 253'))]]);
    expect(read.get(1)?.resultCode).toBe(SUCCESS);
  });

  it('a modify of 256 changes of four values to one attribute costs what two changes of 1,024 values cost; the entry holds at most 1,024', async () => {
    const target = (name: string): Promise<unknown> => cost([[1, addRequest(1, `cn=${name},${DYNAMIC}`, person(name))]], SUCCESS);
    await target('many changes');
    await target('few changes');
    const values = comments(1024, 'm');
    const inFours = (operation: 0 | 1) => Array.from({ length: 256 }, (_, i) => ({ operation, modification: { type: 'comment', values: values.slice(4 * i, 4 * i + 4) } }));
    const rounds = (name: string, grow: Parameters<typeof modifyRequest>[2], shrink: Parameters<typeof modifyRequest>[2]): Array<[number, Buffer]> =>
      Array.from({ length: 20 }, (_, i) => [i + 1, modifyRequest(i + 1, `cn=${name},${DYNAMIC}`, i % 2 === 0 ? grow : shrink)]);
    const few = await cost(rounds('few changes', [{ operation: 0, modification: { type: 'comment', values } }], [{ operation: 1, modification: { type: 'comment', values } }]), SUCCESS);
    const many = await cost(rounds('many changes', inFours(0), inFours(1)), SUCCESS);
    expect(many.primary).toBeLessThan(2 * few.primary + 0.1);
    // Full: 1,024 values, and one more is refused.
    const full = await sendAll(server.port, [
      [1, modifyRequest(1, `cn=many changes,${DYNAMIC}`, inFours(0))],
      [2, modifyRequest(2, `cn=many changes,${DYNAMIC}`, [{ operation: 0, modification: { type: 'comment', values: ['one more'] } }])],
    ]);
    expect(full.get(1)?.resultCode).toBe(SUCCESS);
    expect(full.get(2)?.resultCode).toBe(ADMIN_LIMIT_EXCEEDED);
    expect(full.get(2)?.diagnosticMessage).toBe('comment: the entry would hold 1025 values; at most 1024 are accepted');
  });
});
