/**
 * The MADCAP codec against byte layouts written out by hand from RFC 2730 §2.1 (header) and §3
 * (options): every field is spelled as its bytes, so an encoder and decoder that agree with
 * each other but not with the RFC fail here.
 */
import { describe, expect, it } from 'vitest';
import { clockSkewData, decodeMessage, encodeMessage, ERROR_CODE, MESSAGE_TYPE, NO_OPTION, offendingOptionData, OPTION, type MadcapMessage, type MessageType } from '../../src/mcast/codec.js';

/** Bytes from a readable hex layout: spaces, newlines and `#` comments are ignored. */
const hex = (layout: string): Buffer => Buffer.from(layout.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');

const LEASE_ID = '00 0102030405060708090a0b0c0d0e0f10'; // type 0 (random) + 16 bytes
const leaseIdBytes = hex(LEASE_ID);

const header = (type: number, family = 1, xid = '12345678'): string => `00 ${type.toString(16).padStart(2, '0')} ${family.toString(16).padStart(4, '0')} ${xid}`;
const opt = (code: number, value: string): string => {
  const v = hex(value);
  return `${code.toString(16).padStart(4, '0')} ${v.length.toString(16).padStart(4, '0')} ${v.toString('hex')}`;
};
const END = '0000 0000';

function decoded(bytes: Buffer): MadcapMessage {
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(`not decoded: ${r.reason}`);
  return r.message;
}

describe('header (RFC 2730 §2.1)', () => {
  it('reads version 0, message type, address family and xid, in network byte order', () => {
    const m = decoded(hex(`${header(3, 1, 'deadbeef')} ${opt(3, LEASE_ID)} ${END}`));
    expect(m).toMatchObject({ type: 'REQUEST', family: 'ipv4', xid: 0xdeadbeef });
    expect(m.options.leaseIdentifier).toEqual(leaseIdBytes);
  });

  it('writes the same bytes', () => {
    const bytes = encodeMessage({ type: 'REQUEST', family: 'ipv4', xid: 0xdeadbeef, options: { leaseIdentifier: leaseIdBytes } });
    expect(bytes.toString('hex')).toBe(hex(`${header(3, 1, 'deadbeef')} ${opt(3, LEASE_ID)} ${END}`).toString('hex'));
  });

  it.each(Object.entries(MESSAGE_TYPE))('message type %s is %i', (name, value) => {
    const bytes = hex(`${header(value, 2)} ${opt(3, '01aa')} ${END}`);
    expect(decoded(bytes).type).toBe(name as MessageType);
    expect(encodeMessage({ type: name as MessageType, family: 'ipv6', xid: 0x12345678, options: { leaseIdentifier: hex('01aa') } })).toEqual(bytes);
  });

  it('ignores what RFC 2730 §2.1 says to ignore: short messages, other versions', () => {
    expect(decodeMessage(hex('00 03 0001 00000001 0000'))).toMatchObject({ ok: false, reason: expect.stringMatching(/shorter than the 12/) });
    expect(decodeMessage(hex(`01 03 0001 00000001 ${END}`))).toMatchObject({ ok: false, reason: 'version 1, not 0' });
    // An unknown type without a Lease Identifier cannot be answered (a reply must carry one).
    expect(decodeMessage(hex(`00 09 0001 00000001 ${END}`))).toEqual({ ok: false, reason: 'unknown message type 9' });
  });

  it('makes an unknown message type with a Lease Identifier answerable with Invalid Request (RFC 2730 §2.2)', () => {
    const r = decodeMessage(hex(`00 09 0001 00000001 ${opt(3, LEASE_ID)} ${END}`));
    expect(r).toEqual({ ok: false, reason: 'unknown message type 9', answerable: { type: 9, family: 'ipv4', xid: 1, leaseIdentifier: leaseIdBytes } });
  });

  it('refuses broken option framing without an answer', () => {
    expect(decodeMessage(hex(`${header(3)} ${opt(3, LEASE_ID)}`))).toMatchObject({ ok: false, reason: 'no End option' });
    expect(decodeMessage(hex(`${header(3)} 0003 0020 0001 ${END}`))).toMatchObject({ ok: false, reason: expect.stringMatching(/runs past the end/) });
    expect(decodeMessage(hex(`${header(3)} 0000 0001 00`))).toMatchObject({ ok: false, reason: 'End option with length 1' });
    expect(decodeMessage(hex(`${header(3)} ${opt(3, LEASE_ID)} ${END}`)).ok).toBe(true);
  });

  it('answers a well-framed message with a bad option when it has a Lease Identifier (Invalid Request)', () => {
    const r = decodeMessage(hex(`${header(3)} ${opt(1, '0102')} ${opt(3, LEASE_ID)} ${END}`));
    expect(r).toMatchObject({ ok: false, reason: 'Lease Time: length 2, expected 4', answerable: { type: 'REQUEST', family: 'ipv4', xid: 0x12345678, option: 1 } });
    const duplicate = decodeMessage(hex(`${header(3)} ${opt(3, LEASE_ID)} ${opt(3, LEASE_ID)} ${END}`));
    expect(duplicate).toMatchObject({ ok: false, reason: 'option 3 appears more than once', answerable: { option: 3 } });
    const noLease = decodeMessage(hex(`${header(3)} ${opt(1, '0102')} ${END}`));
    expect(noLease.ok).toBe(false);
    expect(noLease).not.toHaveProperty('answerable');
  });

  it('ignores unknown options (RFC 2730 §3) and bytes after End', () => {
    const m = decoded(hex(`${header(8)} ${opt(3, LEASE_ID)} ${opt(999, 'cafe')} ${END} ffff`));
    expect(m.options).toEqual({ leaseIdentifier: leaseIdBytes });
  });
});

describe('options (RFC 2730 §3)', () => {
  const cases: Array<{ name: string; layout: string; family?: 1 | 2; options: MadcapMessage['options'] }> = [
    { name: 'Lease Time (1): 4-byte seconds', layout: opt(1, '00000e10'), options: { leaseTime: 3600 } },
    { name: 'Server Identifier (2): family + IPv4 address', layout: opt(2, '0001 7f000001'), options: { serverIdentifier: { family: 'ipv4', address: '127.0.0.1' } } },
    { name: 'Server Identifier (2): family + IPv6 address', layout: opt(2, '0002 00000000000000000000000000000001'), options: { serverIdentifier: { family: 'ipv6', address: '::1' } } },
    { name: 'Multicast Scope (4): the Scope ID, IPv4', layout: opt(4, 'efff0000'), options: { multicastScope: '239.255.0.0' } },
    { name: 'Multicast Scope (4): the Scope ID, IPv6', family: 2, layout: opt(4, 'ff150000000000000000000000000000'), options: { multicastScope: 'ff15::' } },
    { name: 'Option Request List (5): 2-byte codes', layout: opt(5, '0009 000b 000c'), options: { optionRequestList: [9, 11, 12] } },
    { name: 'Start Time (6): Unix seconds', layout: opt(6, '65920080'), options: { startTime: 1_704_067_200 } },
    { name: 'Number of Addresses Requested (7): minimum, desired', layout: opt(7, '0001 0004'), options: { addressesRequested: { minimum: 1, desired: 4 } } },
    { name: 'Requested Language (8): a language tag', layout: opt(8, '656e2d4742'), options: { requestedLanguage: 'en-GB' } },
    {
      name: 'Multicast Scope List (9): count, then Scope ID, Last Address, TTL, names (flags, language, name)',
      layout: opt(
        9,
        `02
         efff0000 efffffff 10 01   80 02 656e 0b 4c6f63616c2053636f7065   # 239.255.0.0-239.255.255.255 TTL 16, D "en" "Local Scope"
         efc00000 efc3ffff 3f 00                                          # 239.192.0.0/14 TTL 63, no names`,
      ),
      options: {
        multicastScopeList: [
          { id: '239.255.0.0', last: '239.255.255.255', ttl: 16, names: [{ isDefault: true, language: 'en', name: 'Local Scope' }] },
          { id: '239.192.0.0', last: '239.195.255.255', ttl: 63, names: [] },
        ],
      },
    },
    {
      name: 'List of Address Ranges (10): start address and 2-octet block size, 6 bytes an entry for IPv4',
      layout: opt(10, 'efff0001 0004  efff0100 0001'),
      options: { addressRanges: [{ first: '239.255.0.1', last: '239.255.0.4' }, { first: '239.255.1.0', last: '239.255.1.0' }] },
    },
    {
      name: 'List of Address Ranges (10): 18 bytes an entry for IPv6',
      family: 2,
      layout: opt(10, 'ff150000000000000000000080000000 0100'),
      options: { addressRanges: [{ first: 'ff15::8000:0', last: 'ff15::8000:ff' }] },
    },
    { name: 'List of Address Ranges (10): empty (RFC 2730 §2.13.2, Retry After)', layout: opt(10, ''), options: { addressRanges: [] } },
    { name: 'Current Time (11): Unix seconds', layout: opt(11, '65920080'), options: { currentTime: 1_704_067_200 } },
    {
      name: 'Feature List (12): supported, requested and required lists, each a 2-byte count of 2-byte codes',
      layout: opt(12, '0001 0002  0000  0002 0000 0001'),
      options: { featureList: { supported: [2], requested: [], required: [0, 1] } },
    },
    { name: 'Retry Time (13)', layout: opt(13, '0000003c'), options: { retryTime: 60 } },
    { name: 'Minimum Lease Time (14)', layout: opt(14, '00000708'), options: { minimumLeaseTime: 1800 } },
    { name: 'Maximum Start Time (15)', layout: opt(15, '65920080'), options: { maximumStartTime: 1_704_067_200 } },
    { name: 'Error (16): 2-byte code + data', layout: opt(16, '0004 0000'), options: { error: { code: ERROR_CODE.requiredFeatureNotSupported, data: hex('0000') } } },
  ];

  it.each(cases)('$name', ({ layout, family = 1, options }) => {
    const bytes = hex(`${header(5, family)} ${layout} ${opt(3, LEASE_ID)} ${END}`);
    const m = decoded(bytes);
    expect(m.options).toEqual({ ...options, leaseIdentifier: leaseIdBytes });
    // Options are written in code order; the layouts above put the Lease Identifier (3) last,
    // so compare after re-decoding the encoder's output.
    expect(decoded(encodeMessage(m))).toEqual(m);
  });

  it('writes options in code order, End last', () => {
    const bytes = encodeMessage({
      type: 'ACK',
      family: 'ipv4',
      xid: 1,
      options: { currentTime: 1, leaseIdentifier: hex('00ff'), leaseTime: 60, serverIdentifier: { family: 'ipv4', address: '10.0.0.1' }, multicastScope: '239.255.0.0', addressRanges: [{ first: '239.255.0.9', last: '239.255.0.9' }] },
    });
    expect(bytes).toEqual(
      hex(`${header(5, 1, '00000001')}
        ${opt(1, '0000003c')} ${opt(2, '0001 0a000001')} ${opt(3, '00ff')} ${opt(4, 'efff0000')}
        ${opt(10, 'efff0009 0001')} ${opt(11, '00000001')} ${END}`),
    );
  });

  it.each([
    ['Lease Identifier empty', opt(3, '')],
    ['Multicast Scope of the wrong length', opt(4, 'efff00')],
    ['odd Option Request List', opt(5, '000900')],
    ['minimum above desired', opt(7, '0004 0001')],
    ['Scope List count beyond the data', opt(9, '02 efff0000 efffffff 10 00')],
    ['Scope List name beyond the data', opt(9, '01 efff0000 efffffff 10 01 00 02 656e 09 4c6f')],
    ['an address range entry cut short', opt(10, 'efff0001 00')],
    ['an address range of block size 0', opt(10, 'efff0001 0000')],
    ['an address range past the end of the address space', opt(10, 'ffffffff 0002')],
    ['Feature List with a short list', opt(12, '0002 0001')],
    ['Server Identifier with an unknown family', opt(2, '0009 01020304')],
  ])('refuses %s', (_name, layout) => {
    const lease = layout.startsWith('0003') ? '' : opt(3, LEASE_ID);
    const r = decodeMessage(hex(`${header(3)} ${lease} ${layout} ${END}`));
    expect(r.ok).toBe(false);
  });
});

describe('messages (RFC 2730 §2.2, Table 5)', () => {
  it('DISCOVER: Lease Identifier, Multicast Scope, Lease Time, Start Time with Current Time, Number of Addresses', () => {
    const bytes = hex(`${header(1, 1, '00000007')}
      ${opt(1, '00000e10')} ${opt(3, LEASE_ID)} ${opt(4, 'efff0000')} ${opt(6, '65920080')}
      ${opt(7, '0001 0001')} ${opt(11, '65920000')} ${END}`);
    const m = decoded(bytes);
    expect(m).toEqual({
      type: 'DISCOVER',
      family: 'ipv4',
      xid: 7,
      options: { leaseTime: 3600, leaseIdentifier: leaseIdBytes, multicastScope: '239.255.0.0', startTime: 1_704_067_200, addressesRequested: { minimum: 1, desired: 1 }, currentTime: 1_704_067_072 },
    });
    expect(encodeMessage(m)).toEqual(bytes);
  });

  it('OFFER and ACK: Lease Time, Server Identifier, Lease Identifier, Multicast Scope, List of Address Ranges', () => {
    for (const type of [2, 5]) {
      const bytes = hex(`${header(type, 1, '00000007')}
        ${opt(1, '00000e10')} ${opt(2, '0001 7f000001')} ${opt(3, LEASE_ID)} ${opt(4, 'efff0000')}
        ${opt(10, 'efff0000 0001')} ${END}`);
      expect(encodeMessage(decoded(bytes))).toEqual(bytes);
    }
  });

  it('NAK: Server Identifier, Lease Identifier, Error', () => {
    const bytes = hex(`${header(6, 1, '00000007')} ${opt(2, '0001 7f000001')} ${opt(3, LEASE_ID)} ${opt(16, '0003')} ${END}`);
    expect(decoded(bytes).options.error).toEqual({ code: ERROR_CODE.leaseIdentifierNotRecognized, data: Buffer.alloc(0) });
    expect(encodeMessage(decoded(bytes))).toEqual(bytes);
  });

  it('REQUEST, RENEW, RELEASE and GETINFO round-trip', () => {
    for (const layout of [
      `${header(3)} ${opt(2, '0001 7f000001')} ${opt(3, LEASE_ID)} ${opt(4, 'efff0000')} ${END}`,
      `${header(4)} ${opt(1, '00000e10')} ${opt(3, LEASE_ID)} ${END}`,
      `${header(7)} ${opt(2, '0001 7f000001')} ${opt(3, LEASE_ID)} ${END}`,
      `${header(8)} ${opt(3, LEASE_ID)} ${opt(5, '0009 000c')} ${END}`,
    ]) {
      const bytes = hex(layout);
      expect(encodeMessage(decoded(bytes))).toEqual(bytes);
    }
  });

  it('never throws on random bytes', () => {
    let state = 42;
    const random = (): number => ((state = (state * 1_103_515_245 + 12_345) >>> 0) >> 16) & 0xff;
    for (let i = 0; i < 2000; i += 1) {
      const bytes = Buffer.from(Array.from({ length: 12 + (i % 60) }, random));
      bytes[0] = 0;
      bytes[1] = 1 + (i % 8);
      expect(() => decodeMessage(bytes)).not.toThrow();
    }
  });
});

describe('List of Address Ranges (RFC 2730 §3.11)', () => {
  it('writes a range of more than 65535 addresses as several blocks', () => {
    const bytes = encodeMessage({ type: 'ACK', family: 'ipv4', xid: 1, options: { addressRanges: [{ first: '239.0.0.0', last: '239.1.0.0' }] } });
    // 65537 addresses: 239.0.0.0 and 65535, then 239.0.255.255 and 2.
    expect(bytes).toEqual(hex('00 05 0001 00000001   000a 000c ef000000 ffff ef00ffff 0002   0000 0000'));
    expect(decoded(bytes).options.addressRanges).toEqual([
      { first: '239.0.0.0', last: '239.0.255.254' },
      { first: '239.0.255.255', last: '239.1.0.0' },
    ]);
  });

  it('writes an empty list as an option of length 0', () => {
    expect(encodeMessage({ type: 'ACK', family: 'ipv4', xid: 1, options: { addressRanges: [] } })).toEqual(hex('00 05 0001 00000001  000a 0000  0000 0000'));
  });
});

describe('Error option data (RFC 2730 §3.17)', () => {
  it.each([
    ['Valid Request Could Not Be Completed, no option to blame: 0xFFFF (§3.17.1)', '0010 0004 0000 ffff', ERROR_CODE.validRequestCouldNotBeCompleted, offendingOptionData()],
    ['Invalid Request naming Multicast Scope (§3.17.2)', '0010 0004 0001 0004', ERROR_CODE.invalidRequest, offendingOptionData(OPTION.multicastScope)],
    ['Excessive Clock Skew with a 4-octet time (§3.17.3)', '0010 0006 0002 65920080', ERROR_CODE.excessiveClockSkew, clockSkewData(1_704_067_200)],
    ['Lease Identifier Not Recognized, no data (§3.17.4)', '0010 0002 0003', ERROR_CODE.leaseIdentifierNotRecognized, Buffer.alloc(0)],
  ])('%s', (_name, layout, code, data) => {
    const bytes = hex(`00 06 0001 00000007  0003 0011 ${LEASE_ID}  ${layout}  0000 0000`);
    expect(decoded(bytes).options.error).toEqual({ code, data: hex(layout).subarray(6) });
    expect(encodeMessage({ type: 'NAK', family: 'ipv4', xid: 7, options: { leaseIdentifier: leaseIdBytes, error: { code, data } } })).toEqual(bytes);
  });

  it('0xFFFF is the code of no option', () => {
    expect(NO_OPTION).toBe(0xffff);
  });
});

describe('RFC-form messages, every byte written out by hand', () => {
  // Each line: option code, length, value, as RFC 2730 §3 draws them.
  const REQUEST = hex(`
    00 03 0001 0000002a                          # version 0, REQUEST, IPv4 (1), xid 42
    0001 0004 00000e10                           # Lease Time: 3600 s
    0003 0011 00 0102030405060708090a0b0c0d0e0f10 # Lease Identifier: type 0, 16 bytes
    0004 0004 efff0000                           # Multicast Scope: 239.255.0.0
    000a 0006 efff0010 0002                      # List of Address Ranges: 239.255.0.16, block size 2
    000b 0004 65920000                           # Current Time
    0000 0000                                    # End
  `);
  const ACK = hex(`
    00 05 0001 0000002a                          # version 0, ACK, IPv4, xid 42
    0001 0004 00000e10                           # Lease Time: 3600 s
    0002 0006 0001 0a000001                      # Server Identifier: IPv4 10.0.0.1
    0003 0011 00 0102030405060708090a0b0c0d0e0f10 # Lease Identifier
    0004 0004 efff0000                           # Multicast Scope
    000a 000c efff0010 0002 efff0100 0001        # List of Address Ranges: .0.16 and .0.17, then .1.0
    000c 0008 0001 0002 0000 0000                # Feature List: supports Shared Lease Identifier
    0000 0000                                    # End
  `);

  it('a REQUEST asking for a range reads as that range and writes back the same bytes', () => {
    const m = decoded(REQUEST);
    expect(m).toEqual({
      type: 'REQUEST',
      family: 'ipv4',
      xid: 42,
      options: { leaseTime: 3600, leaseIdentifier: leaseIdBytes, multicastScope: '239.255.0.0', addressRanges: [{ first: '239.255.0.16', last: '239.255.0.17' }], currentTime: 1_704_067_072 },
    });
    expect(encodeMessage(m)).toEqual(REQUEST);
  });

  it('an ACK with two ranges and a Feature List', () => {
    const m = decoded(ACK);
    expect(m.options.addressRanges).toEqual([
      { first: '239.255.0.16', last: '239.255.0.17' },
      { first: '239.255.1.0', last: '239.255.1.0' },
    ]);
    expect(m.options.featureList).toEqual({ supported: [2], requested: [], required: [] });
    expect(encodeMessage(m)).toEqual(ACK);
  });
});
