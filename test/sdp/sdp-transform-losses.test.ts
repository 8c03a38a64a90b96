import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { mediaFormats, parseSdp, writeSdp } from '../../src/sdp/index.js';
import { sdp } from './helpers.js';

// Each test shows what sdp-transform 3.0.0 loses on this input, then that our model keeps it.
const RICH = sdp(
  'v=0',
  'o=alice 2890844526 2890842807 IN IP4 10.47.16.5',
  's=Seminar',
  'e=alice@example.com (Alice)',
  'e=bob@example.com (Bob)',
  'p=+1 617 555-6011',
  'p=+44 20 7946 0000 (London)',
  'c=IN IP4 224.2.17.12/127/1',
  'b=X-YZ:128',
  't=2873397496 2873404696',
  'r=7d 1h 0 25h',
  't=2873497496 2873504696',
  'r=1d 30m 0',
  'z=2882844526 -1h 2898848070 0',
  'k=clear:secret',
  'a=charset:ISO-8859-1',
  'a=tool:sdr',
  'm=audio 49170 RTP/AVP 0 96',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1',
);

describe('sdp-transform losses never reach the model', () => {
  const theirs = sdpTransform.parse(RICH) as unknown as Record<string, unknown>;
  const { description: ours, valid } = parseSdp(RICH);

  it('the blob is valid for us', () => expect(valid).toBe(true));

  it('keeps every t= and r= (sdp-transform keeps only the last)', () => {
    expect(theirs.timing).toEqual({ start: 2873497496, stop: 2873504696 });
    expect(theirs.repeats).toBe('1d 30m 0');
    expect(ours.times.map((t) => [t.start, t.repeats.length])).toEqual([[2873397496, 1], [2873497496, 1]]);
    expect(ours.times[0]!.repeats[0]!.offsets.map((o) => o.seconds)).toEqual([0, 90000]);
  });

  it('keeps every e= and p= (sdp-transform keeps only the last)', () => {
    expect(theirs.email).toBe('bob@example.com (Bob)');
    expect(theirs.phone).toBe('+44 20 7946 0000 (London)');
    expect(ours.emails.map((e) => e.value)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(ours.phones).toEqual([{ value: '+1 617 555-6011', form: 'bare' }, { value: '+44 20 7946 0000', name: 'London', form: 'comment' }]);
  });

  it('keeps k= (sdp-transform drops it) and parsed z= (sdp-transform keeps a raw string)', () => {
    expect(theirs.key).toBeUndefined();
    expect(typeof theirs.timezones).toBe('string');
    expect(ours.key).toEqual({ method: 'clear', data: 'secret' });
    expect(ours.times[1]!.zones).toEqual([{ time: 2882844526, offset: { seconds: -3600, unit: 'h' } }, { time: 2898848070, offset: { seconds: 0 } }]);
  });

  it('splits the multicast TTL and count (sdp-transform leaves them in the address)', () => {
    expect((theirs.connection as { ip: string }).ip).toBe('224.2.17.12/127/1');
    expect(ours.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '224.2.17.12', ttl: 127, count: 1 });
  });

  it('keeps unknown bandwidth types and the attributes sdp-transform files as invalid', () => {
    expect(theirs.bandwidth).toBeUndefined();
    expect(ours.bandwidths).toEqual([{ type: 'X-YZ', value: 128 }]);
    expect(ours.attributes).toEqual([{ name: 'charset', value: 'ISO-8859-1' }, { name: 'tool', value: 'sdr' }]);
  });

  it('rejects unknown type letters where sdp-transform silently drops them', () => {
    const withF = RICH.replace('s=Seminar\r\n', 's=Seminar\r\nf=1\r\n');
    expect(sdpTransform.write(sdpTransform.parse(withF))).not.toContain('f=1');
    expect(parseSdp(withF).errors.map((e) => e.code)).toEqual(['unknown-type']);
  });

  it('round-trips line for line where sdp-transform reorders t= and r=', () => {
    expect(writeSdp(ours)).toBe(RICH);
  });

  it('still uses sdp-transform for the rtpmap/fmtp grammar', () => {
    expect(mediaFormats(ours.media[0]!)).toEqual([
      { code: '0', encoding: 'PCMU', clockRate: 8000, channels: 1 },
      { code: '96', encoding: 'opus', clockRate: 48000, channels: 2, parameters: 'stereo=1' },
    ]);
  });
});
