import { describe, expect, it } from 'vitest';
import {
  ConferenceBlob,
  SdpError,
  checkSdp,
  parseSdp,
  parseSdpStrict,
  writeSdp,
  type SessionDescription,
} from '../../src/sdp/index.js';
import { BASE, sdp } from './helpers.js';

const fresh = (): SessionDescription => parseSdpStrict(sdp(...BASE));

describe('writer', () => {
  it('writes a parsed blob back byte for byte', () => {
    expect(writeSdp(fresh())).toBe(sdp(...BASE));
  });

  it('cannot be tricked into injecting lines through text fields', () => {
    for (const mutate of [
      (d: SessionDescription) => (d.name = 'Evil\r\na=injected:1'),
      (d: SessionDescription) => (d.information = 'line\nbreak'),
      (d: SessionDescription) => d.emails.push({ value: 'a@b.example', name: 'x)\r\np=+1 555' }),
      (d: SessionDescription) => d.media[0]!.attributes.push({ name: 'tool', value: 'x\r\nk=clear:secret' }),
      (d: SessionDescription) => (d.media[0]!.title = 'nul\0byte'),
      (d: SessionDescription) => (d.origin.address = 'host\r\ns=second'),
    ]) {
      const d = fresh();
      mutate(d);
      expect(() => writeSdp(d)).toThrow(SdpError);
      expect(checkSdp(d)).toEqual([expect.objectContaining({ code: 'forbidden-character' })]);
    }
  });

  it('refuses values that would read back differently', () => {
    const d = fresh();
    d.origin.username = 'two words';
    const problems = checkSdp(d);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('origin');
  });

  it('refuses models that break strict rules, with the parser\'s problems', () => {
    const cases: Array<[(d: SessionDescription) => void, string]> = [
      [(d) => (d.name = ''), 'session name must not be empty'],
      [(d) => (d.times = []), 'at least one t= (timing) line is required'],
      [(d) => delete d.connection!.ttl, 'needs a TTL'],
      [(d) => (d.connection!.ttl = 300), 'TTL must be 0-255'],
      [(d) => (d.media[0]!.port = 70000), 'port must be 0-65535'],
      [(d) => (d.times[0]!.stop = d.times[0]!.start - 10), 'before start time'],
      [(d) => (d.media[0]!.formats = []), 'at least one format'],
      [(d) => d.times[0]!.repeats.push({ interval: { seconds: 0 }, duration: { seconds: 1 }, offsets: [{ seconds: 0 }] }), 'must not be zero'],
    ];
    for (const [mutate, message] of cases) {
      const d = fresh();
      mutate(d);
      expect(() => writeSdp(d), message).toThrow(message);
    }
  });

  it('writes every kind of line in RFC order', () => {
    const d = fresh();
    d.uri = 'http://example.com/sync';
    d.emails.push({ value: 'alice@example.com', name: 'Alice' }, { value: 'bob@example.com', name: 'Bob', form: 'angle' }, { value: 'carol@example.com' });
    d.phones.push({ value: '+1 617 555-6011', name: 'Desk' });
    d.bandwidths.push({ type: 'CT', value: 128 });
    d.times.push({ start: 3456562448, stop: 0, repeats: [{ interval: { seconds: 604800, unit: 'd' }, duration: { seconds: 3600, unit: 'h' }, offsets: [{ seconds: 0 }, { seconds: 90000, unit: 'h' }] }], zones: [{ time: 3456600000, offset: { seconds: -3600, unit: 'h' } }] });
    d.key = { method: 'prompt' };
    d.attributes.push({ name: 'recvonly' }, { name: 'tool', value: 'rendezvous' });
    d.media.push({ type: 'video', port: 51372, portCount: 2, protocol: 'RTP/AVP', formats: ['31', '96'], title: 'Camera', connections: [{ netType: 'IN', addrType: 'IP4', address: '239.255.10.2', ttl: 15, count: 2 }], bandwidths: [{ type: 'AS', value: 256 }], attributes: [{ name: 'rtpmap', value: '96 H264/90000' }] });
    const text = writeSdp(d);
    expect(text).toBe(
      sdp(
        ...BASE.slice(0, 4),
        'u=http://example.com/sync',
        'e=alice@example.com (Alice)',
        'e=Bob <bob@example.com>',
        'e=carol@example.com',
        'p=+1 617 555-6011 (Desk)',
        BASE[4],
        'b=CT:128',
        BASE[5],
        't=3456562448 0',
        'r=7d 1h 0 25h',
        'z=3456600000 -1h',
        'k=prompt',
        'a=recvonly',
        'a=tool:rendezvous',
        BASE[6],
        'm=video 51372/2 RTP/AVP 31 96',
        'i=Camera',
        'c=IN IP4 239.255.10.2/15/2',
        'b=AS:256',
        'a=rtpmap:96 H264/90000',
      ),
    );
    const reparsed = parseSdp(text);
    expect(reparsed.valid).toBe(true);
    expect(writeSdp(reparsed.description)).toBe(text);
  });
});

describe('ConferenceBlob', () => {
  it('creates a conference with TAPI defaults: now to +30 minutes', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    const blob = ConferenceBlob.create({ name: 'Design review', originator: 'alice', machineAddress: 'pc1.example.com', address: '239.255.10.1', media: [{ type: 'audio', port: 49170 }], now });
    const text = blob.write();
    expect(text).toBe(
      sdp(
        'v=0',
        'o=alice 4005108000 4005108000 IN IP4 pc1.example.com',
        's=Design review',
        'c=IN IP4 239.255.10.1/15',
        't=4005108000 4005109800',
        'm=audio 49170 RTP/AVP 0',
      ),
    );
    expect(blob.summary).toMatchObject({ start: now, stop: new Date('2026-12-01T10:30:00Z'), advertisingScope: 'site' });
  });

  it('bumps the session version only when the content changed', () => {
    const blob = ConferenceBlob.parse(sdp(...BASE));
    expect(blob.modified).toBe(false);
    expect(blob.write()).toBe(sdp(...BASE));
    blob.description.information = 'Team meeting, now with video';
    expect(blob.modified).toBe(true);
    const first = blob.write();
    expect(first).toContain('o=alice 3456462469 2 IN IP4');
    expect(blob.write()).toBe(first);
    blob.description.name = 'Renamed';
    expect(blob.write()).toContain('o=alice 3456462469 3 IN IP4');
  });

  it('bumps versions beyond 2^53 exactly', () => {
    const blob = ConferenceBlob.parse(sdp('v=0', 'o=- 1 9007199254740993 IN IP4 h.example', 's=x', 'c=IN IP4 239.255.1.1/1', 't=0 0'));
    blob.description.name = 'y';
    expect(blob.write()).toContain('o=- 1 9007199254740994 IN IP4');
  });

  it('leaves the version alone when a write is refused', () => {
    const blob = ConferenceBlob.parse(sdp(...BASE));
    blob.description.name = 'bad\r\nname';
    expect(() => blob.write()).toThrow(SdpError);
    expect(blob.description.origin.sessionVersion).toBe('1');
  });

  it('refuses an invalid blob on parse, accepts a sender\'s quirks when lenient', () => {
    const noTtl = sdp(...BASE).replace(/(c=IN IP4 [0-9.]+)\/\d+/, '$1');
    expect(() => ConferenceBlob.parse(noTtl)).toThrow(/TTL/);
    const blob = ConferenceBlob.parse(noTtl, 'lenient');
    expect(blob.warnings).toHaveLength(1);
    expect(blob.modified).toBe(false);
  });

  it('reads a blob with bare LF endings in either mode, with a warning, and writes it with CRLF', () => {
    const lf = BASE.join('\n') + '\n';
    for (const mode of ['strict', 'lenient'] as const) {
      const blob = ConferenceBlob.parse(lf, mode);
      expect(blob.warnings.map((w) => w.code)).toEqual(['line-ending']);
      expect(blob.write()).toBe(sdp(...BASE));
    }
  });
});
