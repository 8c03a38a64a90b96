import { describe, expect, it } from 'vitest';
import { parseSdpStrict, scopeFromIPv6, scopeFromTtl, scopeFromValue, summarize, SCOPE_TTL } from '../../src/sdp/index.js';
import { sdp } from './helpers.js';

describe('advertising scope', () => {
  it('maps TAPI scopes to TTLs and back', () => {
    expect(SCOPE_TTL).toEqual({ local: 1, site: 15, region: 63, world: 127 });
    for (const [scope, ttl] of Object.entries(SCOPE_TTL)) expect(scopeFromTtl(ttl)).toBe(scope);
    expect([1, 2, 3, 4, 0, 5].map(scopeFromValue)).toEqual(['local', 'site', 'region', 'world', undefined, undefined]);
  });
  it('maps TTLs in between to the threshold they cross', () => {
    expect([0, 1, 2, 15, 16, 32, 63, 64, 128, 255].map(scopeFromTtl)).toEqual(['local', 'local', 'site', 'site', 'region', 'region', 'region', 'world', 'world', 'world']);
  });
  it('reads IPv6 scope from the address', () => {
    expect(['ff02::1', 'ff05::101', 'ff08::1', 'ff0e::1', 'ff15::1', 'ff38::1'].map(scopeFromIPv6)).toEqual(['local', 'site', 'region', 'world', 'site', 'region']);
  });
});

describe('summary', () => {
  it('derives what the directory indexes', () => {
    const d = parseSdpStrict(
      sdp(
        'v=0',
        'o=alice 3456462469 1 IN IP4 host.example.com',
        's=Weekly Sync',
        'i=Team meeting',
        'u=http://example.com/sync',
        'c=IN IP4 239.255.10.1/15',
        't=3456462448 3456464248',
        't=3456562448 3456564248',
        'k=prompt',
        'm=audio 49170 RTP/AVP 0',
        'm=video 51372/2 RTP/AVP 31',
        'c=IN IP4 239.192.0.1/63/2',
        'm=application 9000 udp wb',
        'c=IN IP4 192.0.2.7',
      ),
    );
    expect(summarize(d)).toEqual({
      name: 'Weekly Sync',
      description: 'Team meeting',
      originator: 'alice',
      url: 'http://example.com/sync',
      start: new Date('2009-07-13T08:27:28Z'),
      stop: new Date('2009-07-14T12:44:08Z'),
      unbounded: false,
      permanent: false,
      advertisingScope: 'region',
      isEncrypted: true,
      groups: [
        { address: '239.255.10.1', addrType: 'IP4', ttl: 15, count: 1, media: 'audio', port: 49170 },
        { address: '239.192.0.1', addrType: 'IP4', ttl: 63, count: 2, media: 'video', port: 51372, portCount: 2 },
      ],
    });
  });

  it('uses a session-level group when there are no media, and no scope without multicast', () => {
    const withGroup = summarize(parseSdpStrict(sdp('v=0', 'o=- 1 1 IN IP6 ::1', 's=x', 'c=IN IP6 ff0e::db8:0:101', 't=0 0')));
    expect(withGroup).toMatchObject({ permanent: true, advertisingScope: 'world', groups: [{ address: 'ff0e::db8:0:101', addrType: 'IP6', count: 1 }] });
    const unicast = summarize(parseSdpStrict(sdp('v=0', 'o=- 1 1 IN IP4 h.example', 's=x', 'c=IN IP4 192.0.2.1', 't=3456462448 0')));
    expect(unicast.advertisingScope).toBeUndefined();
    expect(unicast.groups).toEqual([]);
    expect(unicast.unbounded).toBe(true);
    expect(unicast.stop).toBeUndefined();
  });
});
