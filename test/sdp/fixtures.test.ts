import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSdp, summarize, writeSdp } from '../../src/sdp/index.js';

// Fixtures are read as latin1 so that every byte maps to one character and back: the
// charset-latin1 sample holds ISO-8859-1 text, and the writer must give back the same bytes.
const dir = new URL('./fixtures/', import.meta.url);
const read = (sub: string, name: string): string => readFileSync(new URL(`${sub}/${name}`, dir)).toString('latin1');
const list = (sub: string): string[] => readdirSync(new URL(sub, dir)).filter((f) => f.endsWith('.sdp')).sort();

describe('valid samples (RFC examples, [MS-TAIL], ffmpeg and hand-made blobs)', () => {
  const names = list('valid');
  it('has the samples', () => expect(names.length).toBeGreaterThanOrEqual(8));
  for (const name of names) {
    it(`${name}: valid when strict, and written back byte for byte`, () => {
      const text = read('valid', name);
      const result = parseSdp(text);
      expect(result.errors).toEqual([]);
      expect(writeSdp(result.description)).toBe(text);
      expect(() => summarize(result.description)).not.toThrow();
    });
  }
});

describe('what real senders emit (PulseAudio, PipeWire, AJA)', () => {
  /** Senders whose only quirk is bare LF line endings, which strict parsing accepts with a warning (RFC 8866 §5). */
  const LF_ONLY = new Set(['pipewire-sap-ipv4.sdp', 'pipewire-sap-ipv6.sdp']);
  for (const name of list('lenient')) {
    it(`${name}: ${LF_ONLY.has(name) ? 'accepted with a line-ending warning when strict' : 'refused when strict'}, accepted with warnings when lenient`, () => {
      const text = read('lenient', name);
      const strict = parseSdp(text);
      expect(strict.valid).toBe(LF_ONLY.has(name));
      if (LF_ONLY.has(name)) expect(strict.warnings.map((w) => w.code)).toContain('line-ending');
      const lenient = parseSdp(text, { mode: 'lenient' });
      expect(lenient.errors).toEqual([]);
      expect(lenient.warnings.length).toBeGreaterThan(0);
      // Every strict error is one of the lenient warnings: leniency changes severity, nothing else.
      const warned = lenient.warnings.map((w) => `${w.line} ${w.code}`);
      for (const e of strict.errors) expect(warned).toContain(`${e.line} ${e.code}`);
    });
  }

  it('PulseAudio: LF endings and an IPv4 multicast group without TTL', () => {
    const { warnings, description } = parseSdp(read('lenient', 'pulseaudio.sdp'), { mode: 'lenient' });
    expect(warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['line-ending', 'multicast-ttl']));
    expect(description.connection?.ttl).toBeUndefined();
  });

  it('AJA: r=0 0 is ignored', () => {
    const { description } = parseSdp(read('lenient', 'aja-r00.sdp'), { mode: 'lenient' });
    expect(description.times.every((t) => t.repeats.length === 0)).toBe(true);
  });
});

describe('the [MS-TAIL] Dialer blob as printed', () => {
  for (const name of list('invalid')) {
    it(`${name}: invalid in both modes`, () => {
      const text = read('invalid', name);
      expect(parseSdp(text).valid).toBe(false);
      expect(parseSdp(text, { mode: 'lenient' }).valid).toBe(false);
    });
  }

  it('names the three-octet address of the last c= line', () => {
    const { errors } = parseSdp(read('invalid', 'ms-tail-dialer-as-printed.sdp'));
    expect(errors).toEqual([expect.objectContaining({ code: 'invalid-value', field: 'c=', line: 10 })]);
    expect(errors[0]!.message).toContain("'224.2.188'");
  });
});

describe('z= placements valid in only one RFC', () => {
  it('accepts RFC 4566 placement (z= after a bare t=) with a warning', () => {
    const result = parseSdp(read('mode-specific', 'zone-after-bare-time-rfc4566-only.sdp'));
    expect(result.valid).toBe(true);
    expect(result.warnings.map((w) => [w.code, w.field])).toContainEqual(['order', 'z=']);
  });
  it('accepts RFC 8866 placement (z= after the r= lines, before the next t=)', () => {
    const text = read('mode-specific', 'zone-between-time-descriptions-rfc8866-only.sdp');
    const result = parseSdp(text);
    expect(result.valid).toBe(true);
    expect(writeSdp(result.description)).toBe(text);
  });
});
