import { describe, expect, it } from 'vitest';
import { parseSdp, type SdpProblemCode } from '../../src/sdp/index.js';
import { BASE, baseWith, sdp } from './helpers.js';

interface Case {
  name: string;
  text: string;
  /** Every error expected, in order: code, line (undefined for missing lines), field, and words of the message. */
  errors: Array<[SdpProblemCode, number | undefined, string, string]>;
  /** Problems that lenient mode downgrades to warnings (so lenient parsing is valid). */
  lenientValid?: boolean;
}

const cases: Case[] = [
  { name: 'empty line', text: sdp(...BASE.slice(0, 3), '', ...BASE.slice(3)), errors: [['empty-line', 4, '', 'empty line']], lenientValid: true },
  { name: 'NUL in the session name', text: sdp(...baseWith(2, 's=Weekly\0Sync')), errors: [['forbidden-character', 3, '', 'NUL']] },
  { name: 'stray CR inside a line', text: sdp(...baseWith(3, 'i=Team\rmeeting')), errors: [['forbidden-character', 4, '', 'carriage return']] },
  { name: 'not a type=value line', text: sdp(...BASE, 'hello world'), errors: [['malformed-line', 8, '', 'not a']] },
  { name: 'spaces around =', text: sdp(...baseWith(3, 'i = Team meeting')), errors: [['malformed-line', 4, '', "no spaces around '='"]] },
  { name: 'upper-case type letter', text: sdp(...baseWith(3, 'I=Team meeting')), errors: [['malformed-line', 4, '', "no spaces around '='"]] },
  { name: 'unknown type letter', text: sdp(...BASE.slice(0, 4), 'x=something', ...BASE.slice(4)), errors: [['unknown-type', 5, 'x=', 'must be rejected']] },
  { name: 'f= (dropped silently by sdp-transform)', text: sdp(...BASE, 'f=1'), errors: [['unknown-type', 8, 'f=', 'not an SDP line type']] },
  { name: 'does not start with v=', text: sdp(...BASE.slice(1, 2), BASE[0], ...BASE.slice(2)), errors: [['order', 1, 'v=', 'must start with the v= line'], ['order', 2, 'v=', 'must come before the o= line on line 1']] },
  { name: 'missing v=', text: sdp(...baseWith(0)), errors: [['order', 1, 'v=', 'must start with the v= line'], ['missing', undefined, 'v=', 'v= (protocol version) is missing']] },
  { name: 'missing o=', text: sdp(...baseWith(1)), errors: [['missing', undefined, 'o=', 'o= (origin) is missing']] },
  { name: 'missing s=', text: sdp(...baseWith(2)), errors: [['missing', undefined, 's=', 's= (session name) is missing']] },
  { name: 'missing t=', text: sdp(...baseWith(5)), errors: [['missing', undefined, 't=', 'at least one t=']] },
  { name: 'two s= lines', text: sdp(...BASE.slice(0, 3), 's=Again', ...BASE.slice(3)), errors: [['duplicate', 4, 's=', 'only one s= line']] },
  { name: 'empty s=', text: sdp(...baseWith(2, 's=')), errors: [['invalid-value', 3, 's=', 'must not be empty']] },
  { name: 'i= after c=', text: sdp('v=0', BASE[1], BASE[2], BASE[4], BASE[3], BASE[5], BASE[6]), errors: [['order', 5, 'i=', 'must come before the c= line on line 4']] },
  { name: 't= after m=', text: sdp(...BASE, 't=3456462448 3456464248'), errors: [['order', 8, 't=', 'must come before the first m= line']] },
  { name: 'version 1', text: sdp(...baseWith(0, 'v=1')), errors: [['invalid-value', 1, 'v=', 'must be 0']] },
  { name: 'origin with 5 fields', text: sdp(...baseWith(1, 'o=alice 3456462469 1 IN IP4')), errors: [['invalid-value', 2, 'o=', 'needs 6 fields']] },
  { name: 'origin with a non-numeric session id', text: sdp(...baseWith(1, 'o=alice abc 1 IN IP4 host.example.com')), errors: [['invalid-value', 2, 'o=', 'session id must be a decimal number']] },
  { name: 'origin with double space', text: sdp(...baseWith(1, 'o=alice  3456462469 1 IN IP4 host.example.com')), errors: [['invalid-value', 2, 'o=', 'extra spaces']] },
  { name: 'origin with a bad IPv4 address', text: sdp(...baseWith(1, 'o=alice 1 1 IN IP4 10.0.0.300')), errors: [['invalid-value', 2, 'o=', 'neither an IPv4 address nor a host name']] },
  { name: 'origin network type ATM', text: sdp(...baseWith(1, 'o=alice 1 1 ATM NSAP 47.0005')), errors: [['invalid-value', 2, 'o=', 'network type must be IN']] },
  { name: 'bad e-mail', text: sdp(...BASE.slice(0, 4), 'e=not an address', ...BASE.slice(4)), errors: [['invalid-value', 5, 'e=', 'is not an e-mail address']] },
  { name: 'bad phone', text: sdp(...BASE.slice(0, 4), 'p=call me', ...BASE.slice(4)), errors: [['invalid-value', 5, 'p=', 'is not a phone number']] },
  { name: 'URI with a space', text: sdp(...BASE.slice(0, 4), 'u=http://example.com/a b', ...BASE.slice(4)), errors: [['invalid-value', 5, 'u=', 'no spaces']] },
  { name: 'IPv4 multicast without TTL', text: sdp(...baseWith(4, 'c=IN IP4 239.255.10.1')), errors: [['multicast-ttl', 5, 'c=', 'needs a TTL']], lenientValid: true },
  { name: 'IPv4 multicast TTL 256', text: sdp(...baseWith(4, 'c=IN IP4 239.255.10.1/256')), errors: [['multicast-ttl', 5, 'c=', 'TTL must be 0-255']] },
  { name: 'IPv4 multicast TTL with leading zero', text: sdp(...baseWith(4, 'c=IN IP4 239.255.10.1/015')), errors: [['multicast-ttl', 5, 'c=', 'without leading zeros']] },
  { name: 'IPv6 multicast with a TTL', text: sdp(...baseWith(4, 'c=IN IP6 ff15::101/127/1')), errors: [['multicast-ttl', 5, 'c=', 'must not carry a TTL']], lenientValid: true },
  { name: 'unicast with a TTL', text: sdp(...baseWith(4, 'c=IN IP4 192.0.2.1/127')), errors: [['multicast-ttl', 5, 'c=', 'must not carry']] },
  { name: 'three-octet address ([MS-TAIL] sample as printed)', text: sdp(...baseWith(4, 'c=IN IP4 224.2.188')), errors: [['invalid-value', 5, 'c=', 'neither an IPv4 address nor a host name']] },
  { name: 'zero addresses', text: sdp(...BASE.slice(0, 4), ...BASE.slice(5, 7), 'c=IN IP4 239.255.10.1/15/0'), errors: [['invalid-value', 7, 'c=', 'at least 1']] },
  { name: 'address range overflows', text: sdp(...BASE.slice(0, 4), ...BASE.slice(5, 7), 'c=IN IP4 239.255.255.250/15/10'), errors: [['invalid-value', 7, 'c=', 'run past the end']] },
  { name: 'several addresses at session level', text: sdp(...baseWith(4, 'c=IN IP4 239.255.10.1/15/3')), errors: [['invalid-value', 5, 'c=', 'only in a media section']], lenientValid: true },
  { name: 'two session-level c= lines', text: sdp(...BASE.slice(0, 5), 'c=IN IP4 239.255.10.2/15', ...BASE.slice(5)), errors: [['duplicate', 6, 'c=', 'only one c= line']] },
  { name: 'no c= anywhere', text: sdp(...baseWith(4)), errors: [['missing', undefined, 'c=', 'media section 1 (m=audio) has no c= line']] },
  { name: 'bandwidth without value', text: sdp(...BASE.slice(0, 5), 'b=CT', ...BASE.slice(5)), errors: [['invalid-value', 6, 'b=', "'<modifier>:<kbit/s>'"]] },
  { name: 'time with 9 digits', text: sdp(...baseWith(5, 't=345646244 0')), errors: [['invalid-value', 6, 't=', 'at least 10 digits']] },
  { name: 'stop before start', text: sdp(...baseWith(5, 't=3456464248 3456462448')), errors: [['time-range', 6, 't=', 'is before start time']] },
  { name: 'start 0 with a stop', text: sdp(...baseWith(5, 't=0 3456462448')), errors: [['time-range', 6, 't=', 'requires a stop time of 0']] },
  { name: 't= with one field', text: sdp(...baseWith(5, 't=3456462448')), errors: [['invalid-value', 6, 't=', 'needs 2 fields']] },
  { name: 'repeat without offset', text: sdp(...BASE.slice(0, 6), 'r=7d 1h', BASE[6]), errors: [['invalid-value', 7, 'r=', 'at least one offset']] },
  { name: 'repeat with a bad unit', text: sdp(...BASE.slice(0, 6), 'r=7w 1h 0', BASE[6]), errors: [['invalid-value', 7, 'r=', 'repeat interval must be a whole number']] },
  { name: 'repeat with a zero interval', text: sdp(...BASE.slice(0, 6), 'r=0 1h 0', BASE[6]), errors: [['invalid-value', 7, 'r=', 'must not be zero']] },
  { name: 'r=0 0 (AJA encoders)', text: sdp(...BASE.slice(0, 6), 'r=0 0', BASE[6]), errors: [['invalid-value', 7, 'r=', 'not a repeat schedule']], lenientValid: true },
  { name: 'repeat with a fractional value', text: sdp(...BASE.slice(0, 6), 'r=7d 1.5h 0', BASE[6]), errors: [['invalid-value', 7, 'r=', 'active duration must be a whole number']] },
  { name: 'r= before t=', text: sdp(...BASE.slice(0, 5), 'r=7d 1h 0', ...BASE.slice(5)), errors: [['order', 6, 'r=', 'must follow the t= line']] },
  { name: 'z= with an odd number of fields', text: sdp(...BASE.slice(0, 6), 'r=7d 1h 0', 'z=3456462448', BASE[6]), errors: [['invalid-value', 8, 'z=', 'come in pairs']] },
  { name: 'z= offset unsigned check (bad unit)', text: sdp(...BASE.slice(0, 6), 'r=7d 1h 0', 'z=3456462448 -1x', BASE[6]), errors: [['invalid-value', 8, 'z=', 'adjustment offset']] },
  { name: 'two z= lines', text: sdp(...BASE.slice(0, 6), 'r=7d 1h 0', 'z=3456462448 -1h', 'z=3456472448 0', BASE[6]), errors: [['duplicate', 9, 'z=', 'only one z= line']] },
  { name: 'z= without r= followed by another t= (neither RFC 4566 nor 8866)', text: sdp(...BASE.slice(0, 6), 'z=3456462448 -1h', 't=3456562448 3456564248', BASE[6]), errors: [['order', 8, 'z=', 'may only stand after the last time description']] },
  { name: 'k= with unknown shape', text: sdp(...BASE.slice(0, 6), 'k=clear', BASE[6]), errors: [['invalid-value', 7, 'k=', 'needs key data']] },
  { name: 'attribute name with a space', text: sdp(...BASE, 'a=bad name'), errors: [['invalid-value', 8, 'a=', 'is not a token']] },
  { name: 'attribute with empty value', text: sdp(...BASE, 'a=rtpmap:'), errors: [['invalid-value', 8, 'a=', 'has a colon but no value']], lenientValid: true },
  { name: 'charset at media level', text: sdp(...BASE, 'a=charset:ISO-8859-1'), errors: [['order', 8, 'a=', 'a=charset applies to the whole session']] },
  { name: 'media with 3 fields', text: sdp(...baseWith(6, 'm=audio 49170 RTP/AVP')), errors: [['invalid-value', 7, 'm=', 'at least one format']] },
  { name: 'port 65536', text: sdp(...baseWith(6, 'm=audio 65536 RTP/AVP 0')), errors: [['invalid-value', 7, 'm=', 'port must be 0-65535']] },
  { name: 'port range overflow', text: sdp(...baseWith(6, 'm=audio 65530/8 RTP/AVP 0')), errors: [['invalid-value', 7, 'm=', 'run past port 65535']] },
  { name: 'zero ports', text: sdp(...baseWith(6, 'm=audio 49170/0 RTP/AVP 0')), errors: [['invalid-value', 7, 'm=', 'number of ports must be a positive number']] },
  { name: 'RTP payload type 128', text: sdp(...baseWith(6, 'm=audio 49170 RTP/AVP 128')), errors: [['invalid-value', 7, 'm=', 'payload type must be 0-127']] },
  { name: 'two i= in a media section', text: sdp(...BASE, 'i=one', 'i=two'), errors: [['duplicate', 9, 'i=', 'only one i= line is allowed in a media section']] },
  { name: 'u= in a media section', text: sdp(...BASE, 'u=http://example.com/'), errors: [['order', 8, 'u=', 'must come before the first m= line']] },
];

describe('malformed blobs: each gets exactly the expected problems', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = parseSdp(c.text);
      expect(result.valid).toBe(false);
      expect(result.errors.map((p) => [p.code, p.line, p.field])).toEqual(c.errors.map(([code, line, field]) => [code, line, field]));
      result.errors.forEach((p, i) => expect(p.message).toContain(c.errors[i]![3]));
      const lenient = parseSdp(c.text, { mode: 'lenient' });
      expect(lenient.valid).toBe(c.lenientValid === true);
      if (c.lenientValid) {
        expect(lenient.warnings.map((p) => [p.code, p.line])).toEqual(expect.arrayContaining(c.errors.map(([code, line]) => [code, line])));
      }
    });
  }

  it('reports every problem of a blob at once', () => {
    const text = ['v=1', 'o=alice x 1 IN IP4 host', 's=', 'x=1', 't=123 0', 'm=audio 99999 RTP/AVP 200'].join('\r\n') + '\r\n';
    const { errors } = parseSdp(text);
    expect(errors.map((p) => `${p.line ?? '-'} ${p.field} ${p.code}`)).toEqual([
      '1 v= invalid-value',
      '2 o= invalid-value',
      '3 s= invalid-value',
      '4 x= unknown-type',
      '5 t= invalid-value',
      '6 m= invalid-value',
      '6 m= invalid-value',
      '- c= missing',
    ]);
  });

  it.each([
    ['bare LF line endings', BASE.join('\n') + '\n', 1, 'bare LF'],
    ['mixed line endings', `${BASE.slice(0, 3).join('\r\n')}\n${BASE.slice(3).join('\r\n')}\r\n`, 3, 'mixed'],
  ])('accepts %s with a warning, strict or lenient (RFC 8866 §5: parsers SHOULD accept a single LF)', (_name, text, line, words) => {
    for (const mode of ['strict', 'lenient'] as const) {
      const result = parseSdp(text, { mode });
      expect(result.valid, mode).toBe(true);
      expect(result.errors, mode).toEqual([]);
      expect(result.warnings, mode).toEqual([expect.objectContaining({ code: 'line-ending', line, field: 'line ending', message: expect.stringContaining(words) })]);
      expect(result.description.name, mode).toBe(parseSdp(BASE.join('\r\n') + '\r\n').description.name);
    }
  });

  it('flags a missing final line ending as a warning only', () => {
    const result = parseSdp(BASE.join('\r\n'));
    expect(result.valid).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'line-ending', line: 7 })]);
  });

  it('warns about k= as obsolete, and z= without r= as RFC 4566 only', () => {
    const result = parseSdp(sdp(...BASE.slice(0, 6), 'z=3456462448 -1h', 'k=prompt', BASE[6]));
    expect(result.valid).toBe(true);
    expect(result.warnings.map((w) => [w.code, w.line, w.field])).toEqual([
      ['order', 7, 'z='],
      ['obsolete', 8, 'k='],
    ]);
  });
});
