/**
 * `rendezvous serve` with MADCAP, end to end: the `mcast` commands against it (a lease saved
 * by one run renewed and released by the next, across a server restart), the serve flags,
 * and clash detection between conferences published over LDAP with the OpenLDAP tools.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eachLimited, runCli } from '../helpers/cli.js';
import { explain, LDAP, ldapadd, ldapmodify, ldapsearch, ldifModify } from '../helpers/ldap-tools.js';
import { accountDn, startServer, type TestServer } from '../helpers/server.js';
import { at, conferenceBlob, conferenceDn, conferenceLdif, type ConferenceSpec } from '../ldap/fixtures/directory.js';
import { McastAddressAllocation } from '../../src/mcast/client.js';
import { ERROR_CODE, type MadcapMessage } from '../../src/mcast/codec.js';
import { FAST, rawPeer, type RawPeer } from './helpers.js';

const ALICE = { name: 'alice', password: 'alice-pw' };
const alice = { auth: { dn: accountDn(ALICE.name), password: ALICE.password } };
/** Whether the schema has the clash flag yet (see the issue 7 report). */

/** The MADCAP address of the server's current run, from its log. */
function madcapAddress(server: TestServer): string {
  const ports = [...server.logs().matchAll(/madcap listening on udp:\/\/127\.0\.0\.1:(\d+)/g)];
  if (ports.length === 0) throw new Error(`no madcap line in the log:\n${server.logs()}`);
  return `127.0.0.1:${ports.at(-1)![1]}`;
}

const conference = (uid: string, address: string, start: string, stop: string): ConferenceSpec => ({ uid, originator: 'alice', start, stop, ttl: 15, address });

describe('rendezvous mcast against rendezvous serve', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--madcap-port', '0', '--scope', '239.255.0.0/16,16,Local Scope', '--scope', '239.254.0.0/23,4,Lab bench'] });
  });
  afterAll(() => server.stop());

  const mcast = (...args: string[]) => runCli(['mcast', ...args, '--server', madcapAddress(server), '--timeout', '5']);

  it('logs where MADCAP listens and lists the configured scopes', async () => {
    expect(server.logs()).toMatch(/madcap listening on udp:\/\/127\.0\.0\.1:\d+ \(2 scopes\)/);
    const r = await mcast('scopes');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SCOPE ID +LAST ADDRESS +TTL +DESCRIPTION\n239\.255\.0\.0 +239\.255\.255\.255 +16 +Local Scope\n239\.254\.0\.0 +239\.254\.1\.255 +4 +Lab bench\n$/);
    const json = await mcast('scopes', '--json');
    expect(JSON.parse(json.stdout)).toHaveLength(2);
  });

  it('requests a lease, saves it, and a later run renews and releases it across a restart', async () => {
    const file = join(server.dir, 'lease.json');
    const requested = await mcast('request', '--scope', 'lab', '--duration', '2h', '--count', '2', '--save', file);
    expect(requested.code, requested.stderr).toBe(0);
    expect(requested.stdout).toMatch(/^leased +239\.254\.0\.0, 239\.254\.0\.1$/m);
    expect(requested.stdout).toMatch(/^ttl +4$/m);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { requestId: string; addresses: string[] };
    expect(saved.addresses).toEqual(['239.254.0.0', '239.254.0.1']);

    await server.restart();
    const renewed = await mcast('renew', '--lease', file, '--duration', '3h', '--json');
    expect(renewed.code, renewed.stderr).toBe(0);
    const lease = JSON.parse(renewed.stdout) as { stop: string; addresses: string[] };
    expect(lease.addresses).toEqual(saved.addresses);
    expect(Math.abs(Date.parse(lease.stop) - (Date.now() + 3 * 3_600_000))).toBeLessThan(10_000);

    const released = await mcast('release', '--lease', file);
    expect(released).toMatchObject({ code: 0, stdout: 'released 239.254.0.0, 239.254.0.1\n' });
    const again = await mcast('release', '--request-id', saved.requestId);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('rendezvous: the MADCAP server refused the RELEASE: the server knows no lease with that identifier\n');
  });

  it('fails in one line: 2 for usage, 1 when the server refuses or is silent', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['request', '--scope', 'nowhere'], 2, /^rendezvous: the server has no scope 'nowhere'; it has: 239\.255\.0\.0 \(Local Scope\), 239\.254\.0\.0 \(Lab bench\)\n$/],
      [['request', '--stop', '2001-01-01T00:00Z'], 2, /^rendezvous: the lease must stop in the future/],
      [['request', '--count', '0'], 2, /--count must be between 1 and 65535/],
      [['renew', '--duration', '1h'], 2, /name the lease with --lease FILE or --request-id HEX/],
      [['release', '--request-id', 'xyz'], 2, /'xyz' is not a request ID/],
      [['release', '--lease', '/nonexistent/lease.json'], 1, /cannot read the lease \/nonexistent\/lease\.json: no such file/],
      [['request', '--scope', 'lab', '--count', '600'], 1, /refused the REQUEST: the request could not be completed/],
    ];
    // None changes what the server holds: run at once, with the silent server's wait beside them.
    const [silent, results] = await Promise.all([
      runCli(['mcast', 'scopes', '--server', '127.0.0.1:9', '--timeout', '1']),
      eachLimited(cases, 4, ([args]) => mcast(...args)),
    ]);
    for (const [i, [args, code, message]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(silent).toMatchObject({ code: 1, stderr: 'rendezvous: no answer from the MADCAP server 127.0.0.1:9 to GETINFO after 4 attempts\n' });
  });
});

describe('rendezvous serve flags', () => {
  it('runs without MADCAP when told (--madcap-port off), and refuses bad scopes as usage errors', async () => {
    const [overlapping, bad] = await Promise.all([
      runCli(['serve', '--scope', '239.255.0.0/16,16,a', '--scope', '239.255.0.0-239.255.3.255,1,b']),
      runCli(['serve', '--scope', '10.0.0.0/8,16,unicast']),
    ]);
    const server = await startServer({ args: ['--madcap-port', 'off'] });
    try {
      expect(server.logs()).not.toMatch(/madcap listening/);
    } finally {
      await server.stop();
    }
    expect(overlapping).toMatchObject({ code: 2, stderr: expect.stringMatching(/^rendezvous: --scope: the scopes 239\.255\.0\.0 \(a\) and 239\.255\.0\.0 \(b\) overlap\n$/) });
    expect(bad).toMatchObject({ code: 2, stderr: 'rendezvous: --scope: 10.0.0.0/8 is not a multicast range\n' });
  });

  it('takes the allowed MADCAP clock skew from --madcap-clock-skew (RFC 2730 §2.12), 30 minutes by default', async () => {
    const [help, negative] = await Promise.all([runCli(['serve', '--help']), runCli(['serve', '--madcap-clock-skew', '-1'])]);
    expect(help.stdout).toMatch(/--madcap-clock-skew <seconds> +largest difference between a MADCAP\s+client's clock[\s\S]*?\(default: 1800\)/);
    expect(negative.code).toBe(2);
    const [strict, lenient] = await Promise.all([startServer({ args: ['--madcap-port', '0', '--madcap-clock-skew', '60'] }), startServer({ args: ['--madcap-port', '0'] })]);
    const peers = await Promise.all([strict, lenient].map((s) => rawPeer(Number(madcapAddress(s).split(':')[1]))));
    try {
      const now = Math.floor(Date.now() / 1000);
      const request = (xid: number, behind: number): MadcapMessage => ({
        type: 'REQUEST',
        family: 'ipv4',
        xid,
        options: { leaseIdentifier: Buffer.from([0, xid]), multicastScope: '239.255.0.0', startTime: now + 3600, currentTime: now - behind },
      });
      const [strictPeer, lenientPeer] = peers as [RawPeer, RawPeer];
      strictPeer.send(request(1, 120));
      expect((await strictPeer.reply()).options.error?.code).toBe(ERROR_CODE.excessiveClockSkew);
      strictPeer.send(request(2, 30));
      expect((await strictPeer.reply()).type).toBe('ACK');
      lenientPeer.send(request(3, 1200));
      expect((await lenientPeer.reply()).type).toBe('ACK');
      lenientPeer.send(request(4, 1900));
      expect((await lenientPeer.reply()).options.error?.code).toBe(ERROR_CODE.excessiveClockSkew);
    } finally {
      for (const p of peers) p.close();
      await Promise.all([strict.stop(), lenient.stop()]);
    }
  });
});

describe('clash detection over LDAP', () => {
  let refusing: TestServer;
  let flagging: TestServer;
  beforeAll(async () => {
    [refusing, flagging] = await Promise.all([
      startServer({ accounts: [ALICE], args: ['--madcap-port', '0', '--refuse-clashes'] }),
      startServer({ accounts: [ALICE], args: ['--madcap-port', '0'] }),
    ]);
  });
  afterAll(() => Promise.all([refusing.stop(), flagging.stop()]));

  const sync = conference('Sync', '239.255.42.1', at(20, 10), at(20, 11));

  it('refuses a conference whose group another conference holds at an overlapping time, naming it', async () => {
    expect((await ldapadd(refusing.url, conferenceLdif(sync), alice)).code).toBe(LDAP.success);
    const clash = await ldapadd(refusing.url, conferenceLdif(conference('Overlap', '239.255.42.1', at(20, 10, 30), at(20, 12))), alice);
    expect(clash.code, explain(clash)).toBe(LDAP.constraintViolation);
    expect(clash.stderr).toMatch(/multicast group 239\.255\.42\.1 is already used by uid=Sync,ou=dynamic,o=Intranet/);
    // The same group at another time, another group at the same time, and the conference itself are fine.
    expect((await ldapadd(refusing.url, conferenceLdif(conference('Later', '239.255.42.1', at(20, 11), at(20, 12))), alice)).code).toBe(LDAP.success);
    expect((await ldapadd(refusing.url, conferenceLdif(conference('Other', '239.255.42.2', at(20, 10), at(20, 11))), alice)).code).toBe(LDAP.success);
    const edited = conferenceBlob({ ...sync, description: 'moved on' });
    const self = await ldapmodify(refusing.url, `dn: ${conferenceDn('Sync')}\nchangetype: modify\nreplace: conferenceBlob\nconferenceBlob:: ${Buffer.from(edited).toString('base64')}\n`, alice);
    expect(self.code, explain(self)).toBe(LDAP.success);
    // Moving a conference onto a held group is refused too.
    const moved = conferenceBlob({ ...conference('Other', '239.255.42.1', at(20, 10), at(20, 11)) });
    const modify = await ldapmodify(refusing.url, `dn: ${conferenceDn('Other')}\nchangetype: modify\nreplace: conferenceBlob\nconferenceBlob:: ${Buffer.from(moved).toString('base64')}\n`, alice);
    expect(modify.code).toBe(LDAP.constraintViolation);
  });

  it('refuses a conference on a group leased through MADCAP for that time', async () => {
    const c = new McastAddressAllocation({ server: madcapAddress(refusing), retransmission: FAST });
    const start = new Date(Date.parse(at(21, 9)));
    const lease = await c.requestAddress('local', start, new Date(start.getTime() + 3_600_000));
    const clash = await ldapadd(refusing.url, conferenceLdif(conference('Leased', lease.addresses[0]!, at(21, 9, 30), at(21, 10, 30))), alice);
    expect(clash.code, explain(clash)).toBe(LDAP.constraintViolation);
    expect(clash.stderr).toContain(`already used by MADCAP lease ${lease.requestId}`);
    await c.releaseAddress(lease);
    expect((await ldapadd(refusing.url, conferenceLdif(conference('Leased', lease.addresses[0]!, at(21, 9, 30), at(21, 10, 30))), alice)).code).toBe(LDAP.success);
  });

  it('publish --allocate leases the group for the conference time and writes it with the scope TTL', async () => {
    const publish = (name: string, ...extra: string[]) =>
      runCli(['publish', '--url', refusing.url, '--bind-dn', accountDn(ALICE.name), '--name', name, '--start', at(22, 14), '--duration', '1h', '--media', 'audio:5004', '--madcap', madcapAddress(refusing), ...extra], {
        env: { RENDEZVOUS_PASSWORD: ALICE.password },
      });
    const first = await publish('allocated-1', '--allocate', 'local');
    expect(first.code, first.stderr).toBe(0);
    const group = /^c=IN IP4 (239\.255\.\d+\.\d+)\/16\r?$/m.exec(first.stdout)?.[1];
    expect(group, first.stdout).toBeDefined();
    // The blob names its lease by a tag (not the identifier), so its own lease is no clash.
    expect(first.stdout).toMatch(/^a=x-rendezvous-lease:[0-9a-f]{16}\r?$/m);
    expect(first.stderr).toMatch(new RegExp(`^rendezvous: leased ${group!.replaceAll('.', '\\.')} \\(TTL 16\\) until .*, request id 00[0-9a-f]{32}$`, 'm'));
    const second = await publish('allocated-2', '--allocate');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^c=IN IP4 239\.255\.\d+\.\d+\/16\r?$/m);
    expect(second.stdout).not.toContain(`c=IN IP4 ${group}/`);
    // The leased group is taken for that hour: a hand-picked conference on it is refused.
    const taken = await publish('hand-picked', '--address', group!, '--scope', 'site');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already used by (MADCAP lease|uid=allocated-1)/);
    const both = await publish('both', '--allocate', '--address', '239.255.1.1');
    expect(both).toMatchObject({ code: 2, stderr: 'rendezvous: --allocate chooses the address and its TTL: leave out --address and --scope\n' });
  });

  it('accepts clashing conferences without --refuse-clashes', async () => {
    expect((await ldapadd(flagging.url, conferenceLdif(sync), alice)).code).toBe(LDAP.success);
    const second = await ldapadd(flagging.url, conferenceLdif(conference('Overlap', '239.255.42.1', at(20, 10, 30), at(20, 12))), alice);
    expect(second.code, explain(second)).toBe(LDAP.success);
  });

  it('flags both clashing conferences with multicastClash, each naming the other', async () => {
    const r = await ldapsearch(flagging.url, { base: conferenceDn('Overlap'), scope: 'base', filter: '(objectClass=*)', attrs: ['multicastClash'] });
    expect(r.entries[0]?.get('multicastClash')).toEqual([`239.255.42.1 ${conferenceDn('Sync')}`]);
    // A clash is mutual: the conference added first is flagged when the second arrives.
    const sync = await ldapsearch(flagging.url, { base: conferenceDn('Sync'), scope: 'base', filter: '(multicastClash=*)', attrs: ['multicastClash'] });
    expect(sync.entries[0]?.get('multicastClash')).toEqual([`239.255.42.1 ${conferenceDn('Overlap')}`]);
    // A search for all user attributes reads what was stored of the attributes: the flag
    // must be in it, though the worker that prepared the add worked it out without the flag.
    const all = await ldapsearch(flagging.url, { base: conferenceDn('Overlap'), scope: 'base', filter: '(multicastClash=*)' });
    expect(all.entries.map((e) => e.dn.toLowerCase())).toEqual([conferenceDn('Overlap').toLowerCase()]);
  });

  it('refuses a client writing multicastClash itself', async () => {
    const r = await ldapmodify(flagging.url, ldifModify(conferenceDn('Overlap'), [{ op: 'delete', attr: 'multicastClash' }]), alice);
    expect(r.code, explain(r)).toBe(LDAP.constraintViolation);
    expect(r.info).toContain('cannot be written directly');
  });
});
