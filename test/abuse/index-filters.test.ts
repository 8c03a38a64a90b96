/**
 * Filters within the documented limits (1,024 elements, 64 levels) that the index answers,
 * through the wire (issue 22, item 12): an OR of 501 indexed equality terms got "internal
 * server error" (SQLite allows 500 terms in one compound SELECT). Every shape a client can
 * send within the limits must work and give the entries that match, at most at the cost of a
 * search of its size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRequest, equalityFilter, filterSearchRequest, orFilter, sendAll, type RawAttribute } from '../helpers/abuse.js';
import { berString, RawConnection, tlv, type LdapMessage } from '../helpers/raw-ldap.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const SUCCESS = 0;
const ENTRIES = 40;

const person = (cn: string): RawAttribute[] => [
  { type: 'objectClass', values: ['rtPerson', 'dynamicObject'] },
  { type: 'cn', values: [cn] },
  { type: 'mail', values: [`${cn}@example.com`] },
];
const andFilter = (filters: readonly Buffer[]): Buffer => tlv(0xa0, Buffer.concat(filters));
/** A substring filter with an initial piece: `(type=initial*)`. */
const prefixFilter = (type: string, initial: string): Buffer => tlv(0xa4, Buffer.concat([berString(type), tlv(0x30, berString(initial, 0x80))]));

/** The entries' cn values a search over ou=dynamic returns (names only). */
function names(messages: LdapMessage[]): string[] {
  return messages
    .filter((m) => m.tag === 0x64)
    .map((m) => /^cn=([^,]*),/i.exec(m.body.subarray(2, 2 + m.body[1]!).toString('utf8'))?.[1] ?? '?')
    .sort();
}

describe('index filters at the limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Anonymous requests as large as a bound client's (an OR of 1,023 prefixes is larger than
    // the anonymous PDU limit).
    server = await startServer({ ilsOpen: true, args: ['--max-pdu-anonymous', String(4 * 1024 * 1024)] });
    const added = await sendAll(
      server.port,
      Array.from({ length: ENTRIES }, (_, i): [number, Buffer] => [i + 1, addRequest(i + 1, `cn=p${i},${DYNAMIC}`, person(`p${i}`))]),
    );
    expect([...added.values()].every((m) => m.resultCode === SUCCESS)).toBe(true);
  });
  afterAll(() => server.stop());

  /** Runs a one-level search of ou=dynamic with the filter; the cn of each entry returned. */
  async function search(filter: Buffer): Promise<string[]> {
    const connection = await RawConnection.open(server.port);
    try {
      connection.write(filterSearchRequest(1, DYNAMIC, 1, filter, ['1.1']));
      const messages = await connection.waitUntil((all) => all.some((m) => m.id === 1 && m.tag === 0x65), 20_000);
      const done = messages.find((m) => m.tag === 0x65);
      expect(done?.resultCode, done?.diagnosticMessage).toBe(SUCCESS);
      return names(messages);
    } finally {
      connection.destroy();
    }
  }

  const wanted = (...indexes: number[]): string[] => indexes.map((i) => `p${i}`).sort();

  it('an OR of 1,023 equality terms on one attribute (was internal server error from 501)', async () => {
    const terms = Array.from({ length: 1023 }, (_, i) => equalityFilter('cn', `p${i * 7}`));
    expect(await search(orFilter(terms))).toEqual(wanted(0, 7, 14, 21, 28, 35));
  });

  it('an OR of 1,023 equality terms on alternating attributes, and of 511 prefixes (each prefix counts twice: its assertion and its piece)', async () => {
    const mixed = Array.from({ length: 1023 }, (_, i) => (i % 2 === 0 ? equalityFilter('cn', `p${i}`) : equalityFilter('mail', `p${i}@example.com`)));
    expect(await search(orFilter(mixed))).toEqual(wanted(...Array.from({ length: ENTRIES }, (_, i) => i)));
    const prefixes = Array.from({ length: 511 }, (_, i) => prefixFilter('cn', `p${i + 30}`));
    expect(await search(orFilter(prefixes))).toEqual(wanted(30, 31, 32, 33, 34, 35, 36, 37, 38, 39));
  });

  it('an AND of 1,023 terms, and ORs of ANDs', async () => {
    const same = Array.from({ length: 1023 }, () => equalityFilter('cn', 'p5'));
    expect(await search(andFilter(same))).toEqual(wanted(5));
    const pairs = Array.from({ length: 341 }, (_, i) => andFilter([equalityFilter('cn', `p${i}`), equalityFilter('mail', `p${i}@example.com`)]));
    expect(await search(orFilter(pairs))).toEqual(wanted(...Array.from({ length: ENTRIES }, (_, i) => i)));
  });

  it('indexed terms nested 64 levels deep, AND and OR alternating', async () => {
    let filter = equalityFilter('cn', 'p1');
    for (let level = 63; level >= 1; level -= 1) {
      filter = level % 2 === 0 ? andFilter([equalityFilter('objectClass', 'rtPerson'), prefixFilter('cn', 'p'), filter]) : orFilter([equalityFilter('cn', `p${level % ENTRIES}`), filter]);
    }
    // cn=p1 at the bottom, or one of the OR levels' terms (odd levels: p1, p3, ..., p39, p1, ...).
    expect(await search(filter)).toEqual(wanted(...Array.from({ length: 20 }, (_, i) => 2 * i + 1)));
  });
});
