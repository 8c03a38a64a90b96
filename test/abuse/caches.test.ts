/**
 * The directory's caches probed for growth (issue 22, item 5: caches bounded in bytes), through
 * the wire with hand-built searches: what a client can make the server remember must not grow
 * with what the client sends. Attribute names the schema lacks (or spells with options) and
 * ever new attribute selections of one popular entry leave the server's memory where it was.
 * (The DN cache is probed in dn.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRequest, filterSearchRequest, presentFilter, sendAll, serverRss } from '../helpers/abuse.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const SUCCESS = 0;
const presentObjectClass = presentFilter('objectClass');

/** Resident memory of the whole server (one process here). */
const rss = (server: TestServer): number => serverRss(server.pid).primary;

describe('caches, --workers 1', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ilsOpen: true, args: ['--workers', '1'] });
  });
  afterAll(() => server.stop());

  it('attribute names the schema lacks, or spells with options, are not remembered: 50 MB of them leave the server as large as it was', async () => {
    /** One search naming 1,000 attributes of 1 KiB each that no schema has, half of them as options of cn. */
    const names = (round: number): string[] => Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? `x${round}-${i}-${'y'.repeat(1000)}` : `cn;x${round}-${i}-${'y'.repeat(1000)}`));
    const search = async (round: number): Promise<void> => {
      const r = await sendAll(server.port, [[1, filterSearchRequest(1, DYNAMIC, 0, presentObjectClass, names(round))]]);
      expect(r.get(1)?.resultCode).toBe(SUCCESS);
    };
    for (let round = 0; round < 5; round += 1) await search(round); // the heap's steady state
    const before = rss(server);
    for (let round = 5; round < 55; round += 1) await search(round);
    // Each name was kept (with a miss, or the attribute it named): 50 MB.
    expect(rss(server) - before).toBeLessThan(16);
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
    const before = rss(server);
    await read(0, 1000);
    // Each selection's view was kept with its encoding: 50 MB.
    expect(rss(server) - before).toBeLessThan(16);
  });
});
