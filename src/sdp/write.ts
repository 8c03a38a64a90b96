/**
 * Writing the model back to SDP text. The writer checks everything it emits with the same
 * strict parser that guards the directory, so it can never produce an invalid blob, and
 * a text field can never smuggle in extra lines.
 */
import type {
  Attribute,
  Bandwidth,
  Connection,
  Contact,
  EncryptionKey,
  MediaDescription,
  SessionDescription,
  TimeDescription,
} from './model.js';
import { contactForm } from './fields.js';
import { parseSdp } from './parse.js';
import { SdpError, type SdpProblem } from './problems.js';
import { formatTypedTime } from './time.js';

const CRLF = '\r\n';

function connectionLine(c: Connection): string {
  let address = c.address;
  if (c.ttl !== undefined) address += `/${c.ttl}`;
  if (c.count !== undefined) address += `/${c.count}`;
  return `c=${c.netType} ${c.addrType} ${address}`;
}

function contactLine(letter: 'e' | 'p', c: Contact): string {
  switch (contactForm(c)) {
    case 'bare':
      return `${letter}=${c.value}`;
    case 'angle':
      return `${letter}=${c.name} <${c.value}>`;
    case 'comment':
      return `${letter}=${c.value} (${c.name})`;
  }
}

const bandwidthLine = (b: Bandwidth): string => `b=${b.type}:${b.value}`;
const keyLine = (k: EncryptionKey): string => (k.data === undefined ? `k=${k.method}` : `k=${k.method}:${k.data}`);
const attributeLine = (a: Attribute): string => (a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);

function timeLines(t: TimeDescription): string[] {
  const lines = [`t=${t.start} ${t.stop}`];
  for (const r of t.repeats) {
    lines.push(`r=${[r.interval, r.duration, ...r.offsets].map(formatTypedTime).join(' ')}`);
  }
  if (t.zones) lines.push(`z=${t.zones.map((z) => `${z.time} ${formatTypedTime(z.offset)}`).join(' ')}`);
  return lines;
}

function mediaLines(m: MediaDescription): string[] {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  const lines = [`m=${m.type} ${port} ${m.protocol} ${m.formats.join(' ')}`];
  if (m.title !== undefined) lines.push(`i=${m.title}`);
  lines.push(...m.connections.map(connectionLine), ...m.bandwidths.map(bandwidthLine));
  if (m.key) lines.push(keyLine(m.key));
  lines.push(...m.attributes.map(attributeLine));
  return lines;
}

/** The lines of a description in RFC order, without any checking. */
function linesOf(d: SessionDescription): string[] {
  const o = d.origin;
  const lines = [`v=${d.version}`, `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`, `s=${d.name}`];
  if (d.information !== undefined) lines.push(`i=${d.information}`);
  if (d.uri !== undefined) lines.push(`u=${d.uri}`);
  lines.push(...d.emails.map((e) => contactLine('e', e)), ...d.phones.map((p) => contactLine('p', p)));
  if (d.connection) lines.push(connectionLine(d.connection));
  lines.push(...d.bandwidths.map(bandwidthLine));
  for (const t of d.times) lines.push(...timeLines(t));
  if (d.key) lines.push(keyLine(d.key));
  lines.push(...d.attributes.map(attributeLine));
  for (const m of d.media) lines.push(...mediaLines(m));
  return lines;
}

/** Every string in the model with a name for messages, to refuse line breaks before writing. */
function textFields(d: SessionDescription): Array<[string, string]> {
  const fields: Array<[string, string]> = Object.entries(d.origin).map(([k, v]) => [`origin ${k}`, v]);
  fields.push(['session name', d.name]);
  if (d.information !== undefined) fields.push(['session information', d.information]);
  if (d.uri !== undefined) fields.push(['URI', d.uri]);
  for (const c of [...d.emails, ...d.phones]) {
    fields.push(['contact', c.value]);
    if (c.name !== undefined) fields.push(['contact name', c.name]);
  }
  const keyAndAttributes = (k: EncryptionKey | undefined, attributes: Attribute[], where: string): void => {
    if (k) fields.push([`${where} encryption key`, `${k.method}:${k.data ?? ''}`]);
    for (const a of attributes) fields.push([`${where} attribute ${a.name}`, `${a.name}:${a.value ?? ''}`]);
  };
  keyAndAttributes(d.key, d.attributes, 'session');
  d.media.forEach((m, i) => {
    const where = `media ${i + 1}`;
    fields.push([`${where} type`, m.type], [`${where} protocol`, m.protocol], ...m.formats.map((f): [string, string] => [`${where} format`, f]));
    if (m.title !== undefined) fields.push([`${where} title`, m.title]);
    keyAndAttributes(m.key, m.attributes, where);
  });
  return fields;
}

/**
 * Formats a description as SDP text (CRLF line endings) without checking it.
 * Use {@link writeSdp} unless the text is only for display.
 */
export function formatSdp(d: SessionDescription): string {
  return linesOf(d).map((l) => l + CRLF).join('');
}

/** A stable, comparable form of the model: optional fields absent rather than undefined. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** Model with the defaults the writer applies (contact form follows the name). */
function normalised(d: SessionDescription): unknown {
  const contacts = (list: Contact[]): Contact[] => list.map((c) => ({ ...c, form: contactForm(c) }));
  return canonical({ ...d, emails: contacts(d.emails), phones: contacts(d.phones) });
}

/** The first path at which two canonical values differ. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (a === b) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return path || '(root)';
}

/**
 * Checks a model for problems that writing it would cause, without writing it: line
 * breaks in text fields, any rule of strict parsing, and values that would not read back
 * as given (a space inside a user name, say). An empty list means {@link writeSdp} succeeds.
 */
export function checkSdp(d: SessionDescription): SdpProblem[] {
  const problems: SdpProblem[] = [];
  for (const [name, text] of textFields(d)) {
    if (/[\0\r\n]/.test(text)) {
      problems.push({ severity: 'error', code: 'forbidden-character', field: name, message: `${name} must not contain CR, LF or NUL` });
    }
  }
  if (problems.length > 0) return problems;
  const result = parseSdp(formatSdp(d), { mode: 'strict' });
  if (!result.valid) return result.errors;
  const diff = firstDifference(normalised(result.description), normalised(d));
  if (diff !== undefined) {
    problems.push({
      severity: 'error',
      code: 'invalid-value',
      field: diff,
      message: `${diff} cannot be written as given: it would read back differently (a space or separator inside a value, or a number out of range)`,
    });
  }
  return problems;
}

/**
 * Writes a description as SDP text, refusing to emit anything invalid.
 *
 * @throws {@link SdpError} listing every problem when the model is not a valid description.
 */
export function writeSdp(d: SessionDescription): string {
  const problems = checkSdp(d);
  if (problems.length > 0) throw new SdpError(problems, 'cannot write session description');
  return formatSdp(d);
}
