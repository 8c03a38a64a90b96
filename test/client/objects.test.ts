/**
 * Conferences and users as objects, before any server is involved: projections of the blob,
 * TAPI's defaults and refusals, the ILS address encoding, and where a bare host connects.
 */
import { describe, expect, it } from 'vitest';
import {
  candidateUrls,
  Conference,
  Directory,
  fromIlsAddress,
  InvalidTimeError,
  NotConnectedError,
  parseSdp,
  SdpError,
  toIlsAddress,
  User,
} from '../../src/index.js';

const NOW = new Date('2030-01-02T03:04:05Z');

describe('Conference', () => {
  it('defaults to TAPI\'s thirty minutes from now and the IP Conference protocol', () => {
    const c = Conference.create({ name: 'standup', now: NOW });
    expect(c.startTime).toEqual(NOW);
    expect(c.stopTime).toEqual(new Date(NOW.getTime() + 30 * 60 * 1000));
    expect(c.protocol).toBe('IP Conference');
    expect(c.blob.description.name).toBe('standup');
    expect(c.dn).toBeUndefined();
    expect(parseSdp(c.dialableAddresses('sdp')[0]!).valid).toBe(true);
    expect(c.dialableAddresses('ipAddress')).toEqual([]);
  });

  it('refuses a stop time that is not after the start, and dates that are not dates', () => {
    expect(() => Conference.create({ name: 'x', start: NOW, stop: new Date(NOW.getTime() - 1000) })).toThrow(InvalidTimeError);
    expect(() => Conference.create({ name: 'x', start: NOW, stop: NOW })).toThrow(InvalidTimeError);
    expect(() => Conference.create({ name: 'x', start: new Date('nonsense') })).toThrow(InvalidTimeError);
    const c = Conference.create({ name: 'x', start: NOW });
    expect(() => (c.startTime = new Date(NOW.getTime() + 3_600_000))).toThrow(/not after the start/);
    expect(() => (c.stopTime = new Date(NOW.getTime() - 1))).toThrow(InvalidTimeError);
    expect(() => (c.startTime = new Date(Date.UTC(1901, 0, 1)))).toThrow(InvalidTimeError);
  });

  it('moves past its old stop time in one step with setTimes', () => {
    const c = Conference.create({ name: 'x', start: NOW });
    const later = new Date(NOW.getTime() + 86_400_000);
    c.setTimes(later, new Date(later.getTime() + 3_600_000));
    expect(c.startTime).toEqual(later);
    expect(c.blob.description.times).toHaveLength(1);
  });

  it('projects description, url and originator onto i=, u= and o=', () => {
    const c = Conference.create({ name: 'x', now: NOW, originator: 'alice' });
    c.description = 'About x';
    c.url = 'http://example.org/x';
    c.originator = 'bob';
    const sdp = c.dialableAddresses('sdp')[0]!;
    expect(sdp).toMatch(/^o=bob /m);
    expect(sdp).toContain('i=About x\r\n');
    expect(sdp).toContain('u=http://example.org/x\r\n');
    c.description = undefined;
    expect(c.dialableAddresses('sdp')[0]).not.toContain('i=');
  });

  it('writes the advertising scope as the TTL of every IPv4 multicast address', () => {
    const c = Conference.create({ name: 'x', now: NOW, address: '239.1.2.3', scope: 'local', media: [{ type: 'audio', port: 5004, connection: { netType: 'IN', addrType: 'IP4', address: '239.1.2.4', ttl: 1 } }] });
    expect(c.advertisingScope).toBe('local');
    c.advertisingScope = 'world';
    expect(c.advertisingScope).toBe('world');
    expect(c.dialableAddresses('sdp')[0]).toMatch(/c=IN IP4 239\.1\.2\.3\/127\r\n[\s\S]*c=IN IP4 239\.1\.2\.4\/127\r\n/);
    const unicast = Conference.create({ name: 'y', now: NOW });
    expect(unicast.advertisingScope).toBeUndefined();
    expect(() => (unicast.advertisingScope = 'site')).toThrow(TypeError);
  });

  it('marks encryption with k=prompt and removes every key when cleared', () => {
    const c = Conference.create({ name: 'x', now: NOW, isEncrypted: true });
    expect(c.isEncrypted).toBe(true);
    expect(c.dialableAddresses('sdp')[0]).toContain('k=prompt\r\n');
    c.isEncrypted = false;
    expect(c.dialableAddresses('sdp')[0]).not.toContain('k=');
  });

  it('raises the session version only when the blob changed', () => {
    const c = Conference.create({ name: 'x', now: NOW });
    const version = BigInt(c.blob.description.origin.sessionVersion);
    c.blob.write();
    expect(BigInt(c.blob.description.origin.sessionVersion)).toBe(version);
    c.description = 'changed';
    c.blob.write();
    expect(BigInt(c.blob.description.origin.sessionVersion)).toBe(version + 1n);
  });

  it('imports SDP strictly, or leniently, and reports the problems of invalid text', () => {
    const text = 'v=0\no=- 1 1 IN IP4 host.example.org\ns=Imported\nt=0 0\nm=audio 5004 RTP/AVP 0\nc=IN IP4 239.1.2.3\n';
    expect(() => Conference.fromSdp(text)).toThrow(SdpError);
    const c = Conference.fromSdp(text, { mode: 'lenient' });
    expect(c.name).toBe('Imported');
    expect(c.startTime).toBeUndefined();
    expect(Conference.fromSdp(text, { mode: 'lenient', name: 'renamed' }).name).toBe('renamed');
  });

  it('renames the session with its directory name until it is stored', () => {
    const c = Conference.create({ name: 'x', now: NOW });
    c.name = 'y';
    expect(c.blob.description.name).toBe('y');
  });
});

describe('User', () => {
  it('keeps dotted addresses and refuses what ILS cannot store', () => {
    const u = new User({ name: 'alice', ipAddresses: ['10.70.41.96'] });
    expect(u.ipAddresses).toEqual(['10.70.41.96']);
    expect(u.dialableAddresses('ipAddress')).toEqual(['10.70.41.96']);
    expect(u.dialableAddresses('domainName')).toEqual([]);
    expect(() => (u.ipAddresses = ['2001:db8::1'])).toThrow(TypeError);
    expect(() => new User({ name: 'a]b' })).toThrow(TypeError);
    expect(() => new User({ name: '' })).toThrow(TypeError);
  });
});

describe('the ILS ipAddress encoding', () => {
  it('is the little-endian decimal of the four bytes, both ways', () => {
    expect(toIlsAddress('10.70.41.96')).toBe('1613317642');
    expect(fromIlsAddress('1613317642')).toBe('10.70.41.96');
    expect(toIlsAddress('255.255.255.255')).toBe('4294967295');
    expect(fromIlsAddress('0')).toBe('0.0.0.0');
    // Writers that stored the DWORD as a signed int.
    expect(fromIlsAddress('-1')).toBe('255.255.255.255');
    expect(fromIlsAddress('4294967296')).toBeUndefined();
    expect(fromIlsAddress('10.70.41.96')).toBeUndefined();
    expect(() => toIlsAddress('10.70.41')).toThrow(TypeError);
  });
});

describe('where to connect', () => {
  it('tries the ILS ports 1002 then 389 for a bare host, as TAPI did', () => {
    expect(candidateUrls('ils.example.org', false)).toEqual(['ldap://ils.example.org:1002', 'ldap://ils.example.org:389']);
    expect(candidateUrls('ils.example.org', true)).toEqual(['ldaps://ils.example.org:636']);
    expect(candidateUrls('ils.example.org:1389', false)).toEqual(['ldap://ils.example.org:1389']);
    expect(candidateUrls('ldap://127.0.0.1:1389', false)).toEqual(['ldap://127.0.0.1:1389']);
    expect(candidateUrls('ldaps://ils.example.org', false)).toEqual(['ldaps://ils.example.org']);
    expect(() => candidateUrls('ldap://host/o=Intranet?uid', false)).toThrow(TypeError);
    expect(() => candidateUrls('http://host', false)).toThrow(TypeError);
  });
});

describe('Directory before connecting', () => {
  it('holds TAPI\'s default TTL and refuses one below 300 seconds', () => {
    const d = new Directory();
    expect(d.defaultObjectTTL).toBe(1800);
    expect(() => (d.defaultObjectTTL = 299)).toThrow(RangeError);
    expect(() => (d.defaultObjectTTL = 300.5)).toThrow(RangeError);
    d.defaultObjectTTL = 300;
    expect(d.defaultObjectTTL).toBe(300);
    expect(d.isConnected).toBe(false);
    expect(() => d.url).toThrow(NotConnectedError);
  });
});
