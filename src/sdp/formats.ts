/**
 * Media formats: what the payload types of an RTP medium mean. The `a=rtpmap` and
 * `a=fmtp` grammars come from sdp-transform, which is reliable for media attributes; it
 * sees only those attribute lines, never the session structure it would mangle.
 */
import sdpTransform from 'sdp-transform';
import type { MediaDescription } from './model.js';

/** One format of a medium with its encoding, when known. */
export interface MediaFormat {
  /** The format code as written in `m=`. */
  code: string;
  /** Encoding name, e.g. `PCMU`, `opus`, `H261`. */
  encoding?: string;
  /** Clock rate in Hz. */
  clockRate?: number;
  /** Channels (audio). */
  channels?: number;
  /** Format parameters from `a=fmtp`. */
  parameters?: string;
}

/** RTP/AVP static payload types (RFC 3551 §6). */
const STATIC_PAYLOADS: Readonly<Record<string, [string, number, number?]>> = {
  0: ['PCMU', 8000, 1], 3: ['GSM', 8000, 1], 4: ['G723', 8000, 1], 5: ['DVI4', 8000, 1], 6: ['DVI4', 16000, 1],
  7: ['LPC', 8000, 1], 8: ['PCMA', 8000, 1], 9: ['G722', 8000, 1], 10: ['L16', 44100, 2], 11: ['L16', 44100, 1],
  12: ['QCELP', 8000, 1], 13: ['CN', 8000, 1], 14: ['MPA', 90000], 15: ['G728', 8000, 1], 16: ['DVI4', 11025, 1],
  17: ['DVI4', 22050, 1], 18: ['G729', 8000, 1], 25: ['CelB', 90000], 26: ['JPEG', 90000], 28: ['nv', 90000],
  31: ['H261', 90000], 32: ['MPV', 90000], 33: ['MP2T', 90000], 34: ['H263', 90000],
};

/**
 * The formats of a medium, with encodings from `a=rtpmap` or, for RTP, the static payload
 * type table.
 */
export function mediaFormats(media: MediaDescription): MediaFormat[] {
  const relevant = media.attributes.filter((a) => (a.name === 'rtpmap' || a.name === 'fmtp') && a.value !== undefined);
  const text = [`m=${media.type} ${media.port} ${media.protocol} ${media.formats.join(' ')}`, ...relevant.map((a) => `a=${a.name}:${a.value}`)].join('\r\n');
  const parsed = sdpTransform.parse(`${text}\r\n`).media[0];
  const isRtp = media.protocol.startsWith('RTP/');
  return media.formats.map((code) => {
    const format: MediaFormat = { code };
    const rtp = parsed?.rtp.find((r) => String(r.payload) === code);
    const fixed = isRtp ? STATIC_PAYLOADS[code] : undefined;
    if (rtp) {
      format.encoding = rtp.codec;
      if (rtp.rate !== undefined) format.clockRate = rtp.rate;
      if (rtp.encoding !== undefined) format.channels = Number(rtp.encoding);
    } else if (fixed) {
      format.encoding = fixed[0];
      format.clockRate = fixed[1];
      if (fixed[2] !== undefined) format.channels = fixed[2];
    }
    const fmtp = parsed?.fmtp.find((f) => String(f.payload) === code);
    if (fmtp) format.parameters = fmtp.config;
    return format;
  });
}
