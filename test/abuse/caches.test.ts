/**
 * The directory's caches probed for growth (issue 22, item 5: caches bounded in bytes), through
 * the wire with hand-built searches, on one process (the caches are each process's): what a
 * client can make the server remember must not grow with what the client sends. Different
 * DNs at the length limit (8 KiB) and beyond it (1 MiB: a hundred left a worker 453 MB
 * larger), attribute names the schema lacks (or spells with options), and ever new attribute
 * selections of one popular entry leave the server's memory where it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRequest, equalityFilter, filterSearchRequest, presentFilter, sendAll, serverRss, settledRss } from '../helpers/abuse.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const SUCCESS = 0;
const NO_SUCH_OBJECT = 32;
const INVALID_DN_SYNTAX = 34;
const MAX_DN_BYTES = 8192;

/** A DN of three RDNs whose first value makes it `bytes` long. */
const wideDn = (bytes: number, tag: string): string => `cn=${tag}${'x'.repeat(bytes - `cn=${tag},${DYNAMIC}`.length)},${DYNAMIC}`;
const presentObjectClass = presentFilter('objectClass');

/** Resident memory of the whole server (one process here). */
const rss = (server: TestServer): number => serverRss(server.pid).primary;

describe('caches, --workers 1', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Anonymous requests as large as a bound client's: the probes must reach the caches, not
    // the anonymous PDU limit (test/abuse/partial-pdu.test.ts probes that).
    server = await startServer({ ilsOpen: true, args: ['--workers', '1', '--max-pdu-anonymous', String(4 * 1024 * 1024)] });
  });
  afterAll(() => server.stop());

  it('DNs are cached in bytes: 1,600 different DNs at the limit read twice, and 100 DNs of 1 MiB, leave the server as large as it was', async () => {
    const at = (i: number): string => wideDn(MAX_DN_BYTES, `m${i}-`);
    /** Searches of the bases `from` to `to` - 1, each twice (a name is cached the second time it is asked for), 200 to a connection. */
    const readTwice = async (from: number, to: number): Promise<void> => {
      for (let first = from; first < to; first += 100) {
        const requests = Array.from({ length: 200 }, (_, i): [number, Buffer] => [i + 1, filterSearchRequest(i + 1, at(first + (i % 100)), 0, presentObjectClass)]);
        const r = await sendAll(server.port, requests);
        expect([...r.values()].every((m) => m.resultCode === NO_SUCH_OBJECT)).toBe(true);
      }
    };
    await readTwice(100_000, 100_400); // the heap's steady state
    const before = rss(server);
    await readTwice(0, 1600);
    const between = rss(server);
    for (let i = 0; i < 100; i += 1) {
      const r = await sendAll(server.port, [[1, filterSearchRequest(1, wideDn(1024 * 1024, `h${i}-`), 0, equalityFilter('cn', 'x'))]]);
      expect(r.get(1)?.resultCode).toBe(INVALID_DN_SYNTAX);
    }
    // Counted in names only, the cache held 4,096 of them: the 1,600 here, 75 MB.
    expect(between - before).toBeLessThan(16);
    // Each is refused, as it arrives, for its size. What remains is the heap grown to read
    // 1 MiB requests.
    expect(rss(server) - between).toBeLessThan(40);
  });

  it('attribute names the schema lacks, or spells with options, are not remembered: 50 MB of them leave the server as large as it was', async () => {
    /** One search naming 1,000 attributes of 1 KiB each that no schema has, half of them as options of cn. */
    const names = (round: number): string[] => Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? `x${round}-${i}-${'y'.repeat(1000)}` : `cn;x${round}-${i}-${'y'.repeat(1000)}`));
    const search = async (round: number): Promise<void> => {
      const r = await sendAll(server.port, [[1, filterSearchRequest(1, DYNAMIC, 0, presentObjectClass, names(round))]]);
      expect(r.get(1)?.resultCode).toBe(SUCCESS);
    };
    for (let round = 0; round < 5; round += 1) await search(round); // the heap's steady state
    const before = serverRss(server.pid);
    for (let round = 5; round < 55; round += 1) await search(round);
    // Each name was kept (with a miss, or the attribute it named): 50 MB. Under a full test
    // suite on two cores the heap's own growth between collections reached 24 MB (twice in
    // about five runs, never alone): 32 still tells 50 MB kept from none, and the server gets
    // up to 5 s to collect what it grew by (what it kept it cannot give back).
    const after = await settledRss(server.pid, before, 32, 5000);
    expect(after.primary - before.primary).toBeLessThan(32);
  });

  it('1,000 different selections of one large entry leave the server as large as it was', async () => {
    // A person with a 50 KB comment and eleven small attributes: each selection names the comment
    // and a different subset of the others, so each view of the entry, and its encoding,
    // holds the comment.
    const small = ['givenName', 'sn', 'mail', 'location', 'c', 'o', 'friendlyName', 'mimeType', 'port', 'guid', 'sFlags'];
    const values: Record<string, string> = { c: 'DE', port: '1720', guid: '00aa', sFlags: '1' };
    const attributes = [
      { type: 'objectClass', values: ['rtPerson', 'dynamicObject'] },
      { type: 'cn', values: ['large'] },
      { type: 'comment', values: ['z'.repeat(50_000)] },
      ...small.map((type) => ({ type, values: [values[type] ?? `${type} value`] })),
    ];
    const added = await sendAll(server.port, [[1, addRequest(1, `cn=large,${DYNAMIC}`, attributes)]]);
    expect(added.get(1)?.resultCode, added.get(1)?.diagnosticMessage).toBe(SUCCESS);
    const read = async (from: number, to: number): Promise<void> => {
      for (let first = from; first < to; first += 50) {
        const requests = Array.from({ length: 50 }, (_, i): [number, Buffer] => {
          const subset = small.filter((_, bit) => ((first + i) >> bit) & 1);
          return [i + 1, filterSearchRequest(i + 1, `cn=large,${DYNAMIC}`, 0, presentObjectClass, ['comment', ...subset])];
        });
        const r = await sendAll(server.port, requests);
        expect([...r.values()].every((m) => m.resultCode === SUCCESS)).toBe(true);
      }
    };
    await read(1024, 1224); // the heap's steady state
    const before = serverRss(server.pid);
    await read(0, 1000);
    // Each selection's view was kept with its encoding: 50 MB. Under a full test suite on two
    // cores the heap's own growth between collections reached 24 MB (a clean-clone CI run; 16
    // was the bound then), as in the test above: 32 still tells 50 MB kept from none, and the
    // server gets up to 5 s to collect what it grew by.
    const after = await settledRss(server.pid, before, 32, 5000);
    expect(after.primary - before.primary).toBeLessThan(32);
  });
});
