/**
 * Fuzzing through the wire (moved here from test/ldap/hardening.test.ts): random bytes,
 * structural mutations of every operation (flipped and truncated bytes, huge lengths, garbage
 * after a valid message, bad UTF-8), random nested filters and mutated SDP blobs, each on its
 * own connection; the server must not crash nor log an internal error, a control client must
 * keep being answered, and no server process may grow by more than 64 MiB. The number of
 * cases run is printed.
 */
import { Client } from 'ldapts';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRss, rssGrowth, serverRss } from '../helpers/abuse.js';
import { berInteger, berString, ldapMessage, RawConnection, searchRequest, simpleBindRequest, tlv } from '../helpers/raw-ldap.js';
import { accountDn, startServer, stopAllServers } from '../helpers/server.js';

const DYNAMIC = 'ou=dynamic,o=Intranet';
const alice = { dn: accountDn('alice'), password: 'alice-pw' };
const accounts = [{ name: 'alice', password: alice.password }];

afterAll(() => stopAllServers());

/** A deterministic pseudo-random generator, so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('fuzzing', () => {
  it('survives thousands of random and mutated PDUs, filters and SDP blobs; other clients keep being served; memory stays bounded', async () => {
    const server = await startServer({ accounts, args: ['--ils-open'] });
    const control = new Client({ url: server.url });
    try {
      const random = prng(0x5eed);
      const int = (n: number): number => Math.floor(random() * n);
      const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
      const blob = ['v=0', 'o=fuzz 1 1 IN IP4 host.example', 's=Fuzz', 'c=IN IP4 239.255.1.1/15', `t=${Math.floor(Date.now() / 1000) + 2208988800} 0`, 'm=audio 4000 RTP/AVP 0'].join('\r\n') + '\r\n';
      const seeds: Buffer[] = [
        simpleBindRequest(1, alice.dn, alice.password),
        simpleBindRequest(1, 'cn=\\zz,=x', 'pw'),
        searchRequest(2, DYNAMIC, 2, 'objectClass', ['cn', '+', '*', '1.1']),
        ldapMessage(3, tlv(0x68, Buffer.concat([berString(`uid=fuzz,${DYNAMIC}`), tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat([berString('objectClass'), tlv(0x31, Buffer.concat([berString('rtConference'), berString('dynamicObject')]))])), tlv(0x30, Buffer.concat([berString('conferenceBlob'), tlv(0x31, berString(blob))]))]))]))),
        ldapMessage(4, tlv(0x66, Buffer.concat([berString(`uid=fuzz,${DYNAMIC}`), tlv(0x30, tlv(0x30, Buffer.concat([berInteger(2, 0x0a), tlv(0x30, Buffer.concat([berString('entryTTL'), tlv(0x31, berString('300'))]))])))]))),
        ldapMessage(5, tlv(0x77, Buffer.concat([berString('1.3.6.1.4.1.1466.101.119.1', 0x80), berString(tlv(0x30, Buffer.concat([berString(`uid=fuzz,${DYNAMIC}`, 0x80), berInteger(70000, 0x81)])), 0x81)]))),
        ldapMessage(6, tlv(0x6e, Buffer.concat([berString(`uid=fuzz,${DYNAMIC}`), tlv(0x30, Buffer.concat([berString('uid'), berString('fuzz')]))]))),
      ];
      const mutate = (pdu: Buffer): Buffer => {
        const copy = Buffer.from(pdu);
        switch (int(6)) {
          case 0: // flip bytes
            for (let k = 0; k < 1 + int(4); k += 1) copy[int(copy.length)] = int(256);
            return copy;
          case 1: // truncate
            return copy.subarray(0, int(copy.length));
          case 2: // huge length
            return Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), copy.subarray(2)]);
          case 3: // garbage after a valid message
            return Buffer.concat([pdu, bytes(1 + int(64))]);
          case 4: // bad UTF-8 in place of text
            return Buffer.from(copy.toString('latin1').replace(/[a-z]/g, () => (random() < 0.1 ? '\xff' : 'a')), 'latin1');
          default: // random filter nesting
            return searchRequest(9, DYNAMIC, int(3) as 0 | 1 | 2, ['cn', 'uid', 'sttl', 'entryTTL', 'x'][int(5)]);
        }
      };
      const randomFilter = (depth: number): Buffer => {
        const leafAttr = berString((['cn', 'uid', 'startTime', 'advertisingScope', 'sttl', 'nosuch'][int(6)])!);
        if (depth > 3 || random() < 0.4) {
          switch (int(5)) {
            case 0:
              return tlv(0xa3, Buffer.concat([leafAttr, berString(bytes(int(8)))]));
            case 1:
              return tlv(0xa4, Buffer.concat([leafAttr, tlv(0x30, berString(bytes(1 + int(4)), 0x80 + int(3)))]));
            case 2:
              return tlv(0xa5, Buffer.concat([leafAttr, berString(String(int(100000)))]));
            case 3:
              return tlv(0xa9, Buffer.concat([berString('caseIgnoreMatch', 0x81), berString(bytes(int(6)), 0x83), Buffer.from([0x84, 0x01, 0xff])]));
            default:
              return berString('cn', 0x87);
          }
        }
        const children = Array.from({ length: int(4) }, () => randomFilter(depth + 1));
        return int(3) === 2 ? tlv(0xa2, children[0] ?? berString('cn', 0x87)) : tlv(0xa0 + int(2), Buffer.concat(children));
      };
      await control.bind(alice.dn, alice.password);
      const baseline = serverRss(server.pid);
      let sent = 0;
      let closedByServer = 0;
      const started = Date.now();
      for (let round = 0; round < 60; round += 1) {
        const batch: Array<Promise<void>> = [];
        for (let k = 0; k < 40; k += 1) {
          batch.push(
            (async () => {
              const c = await RawConnection.open(server.port);
              const kind = int(4);
              const payload =
                kind === 0
                  ? bytes(1 + int(300))
                  : kind === 1
                    ? mutate(seeds[int(seeds.length)]!)
                    : kind === 2
                      ? ldapMessage(10, tlv(0x63, Buffer.concat([berString(DYNAMIC), berInteger(int(3), 0x0a), berInteger(0, 0x0a), berInteger(int(10)), berInteger(0), Buffer.from([0x01, 0x01, 0x00]), randomFilter(0), tlv(0x30, Buffer.alloc(0))])))
                      : ldapMessage(11, tlv(0x68, Buffer.concat([berString(`uid=f${int(1000)},${DYNAMIC}`), tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat([berString('objectClass'), tlv(0x31, Buffer.concat([berString('rtConference'), berString('dynamicObject')]))])), tlv(0x30, Buffer.concat([berString('conferenceBlob'), tlv(0x31, berString(mutate(Buffer.from(blob))))]))]))])));
              c.write(payload);
              sent += 1;
              if (await c.waitClosed(150)) closedByServer += 1;
              c.destroy();
            })(),
          );
        }
        await Promise.all(batch);
        const { searchEntries } = await control.search('o=Intranet', { scope: 'base', attributes: ['o'] });
        expect(searchEntries).toHaveLength(1);
        expect(server.isRunning()).toBe(true);
      }
      const after = serverRss(server.pid);
      console.log(`fuzz: ${sent} cases (PDUs, each on its own connection) in ${((Date.now() - started) / 1000).toFixed(1)} s, ${closedByServer} connections ended by the server, 0 crashes; ${describeRss(baseline, after)}`);
      expect(sent).toBe(2400);
      for (const growth of rssGrowth(baseline, after)) expect(growth).toBeLessThan(64);
      expect(server.logs()).not.toContain('internal error');
    } finally {
      await control.unbind().catch(() => undefined);
      await server.stop();
    }
  }, 120_000);
});
