/**
 * A readable rendering of a session description for `rendezvous sdp show`.
 */
import {
  formatTypedTime,
  mediaFormats,
  ntpToDate,
  scopeFromIPv6,
  scopeFromTtl,
  summarize,
  isMulticast,
  type Connection,
  type Contact,
  type Repeat,
  type SessionDescription,
  type TimeDescription,
} from '../sdp/index.js';
import { formatLocalTime, formatRows } from './format.js';

type Row = readonly [string, string];

function connectionText(c: Connection): string {
  let text = `${c.address}${c.ttl !== undefined ? `/${c.ttl}` : ''}${c.count !== undefined ? `/${c.count}` : ''}`;
  if (isMulticast(c.address)) {
    const scope = c.addrType === 'IP6' ? scopeFromIPv6(c.address) : c.ttl !== undefined ? scopeFromTtl(c.ttl) : undefined;
    text += ` (${c.addrType === 'IP6' ? 'IPv6' : 'IPv4'} multicast${c.ttl !== undefined ? `, TTL ${c.ttl}` : ''}${c.count !== undefined ? `, ${c.count} addresses` : ''}${scope ? `, ${scope} scope` : ''})`;
  }
  return text;
}

const contactText = (c: Contact): string => (c.name === undefined ? c.value : `${c.value} (${c.name})`);

function ntpText(ntp: number): string {
  const date = ntpToDate(ntp);
  return date ? formatLocalTime(date) : 'no end';
}

function timeText(t: TimeDescription): string {
  if (t.start === 0) return 'permanent';
  return `${ntpText(t.start)} -> ${t.stop === 0 ? 'unbounded' : ntpText(t.stop)}`;
}

function repeatText(r: Repeat): string {
  return `every ${formatTypedTime(r.interval)} for ${formatTypedTime(r.duration)} at offset${r.offsets.length > 1 ? 's' : ''} ${r.offsets.map(formatTypedTime).join(', ')}`;
}

/** Renders a description as labelled rows. */
export function describeSdp(d: SessionDescription): string {
  const s = summarize(d);
  const rows: Row[] = [['Session', d.name]];
  if (d.information !== undefined) rows.push(['Description', d.information]);
  const o = d.origin;
  rows.push(['Originator', `${o.username} at ${o.address} (session ${o.sessionId}, version ${o.sessionVersion})`]);
  if (d.uri !== undefined) rows.push(['URL', d.uri]);
  d.emails.forEach((e, i) => rows.push([i === 0 ? 'E-mail' : '', contactText(e)]));
  d.phones.forEach((p, i) => rows.push([i === 0 ? 'Phone' : '', contactText(p)]));
  if (d.connection) rows.push(['Connection', connectionText(d.connection)]);
  for (const b of d.bandwidths) rows.push(['Bandwidth', `${b.type} ${b.value} kbit/s`]);
  d.times.forEach((t, i) => {
    rows.push([i === 0 ? 'Times' : '', timeText(t)]);
    for (const r of t.repeats) rows.push(['', `  repeats ${repeatText(r)}`]);
    if (t.zones) rows.push(['', `  zone adjustments ${t.zones.map((z) => `${ntpText(z.time)} ${formatTypedTime(z.offset)}`).join(', ')}`]);
  });
  rows.push(['Active', s.permanent ? 'permanent' : `${s.start ? formatLocalTime(s.start) : '?'} -> ${s.stop ? formatLocalTime(s.stop) : 'no end'}`]);
  rows.push(['Scope', s.advertisingScope ?? 'none (no multicast address)']);
  rows.push(['Encrypted', s.isEncrypted ? `yes (k=${d.key?.method ?? 'in media'})` : 'no']);
  d.attributes.forEach((a, i) => rows.push([i === 0 ? 'Attributes' : '', a.value === undefined ? a.name : `${a.name}:${a.value}`]));
  d.media.forEach((m, i) => {
    const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
    const formats = mediaFormats(m)
      .map((f) => (f.encoding ? `${f.code} (${f.encoding}${f.clockRate ? `/${f.clockRate}` : ''}${f.channels && f.channels > 1 ? `/${f.channels}` : ''})` : f.code))
      .join(', ');
    rows.push([`Media ${i + 1}`, `${m.type} port ${port} ${m.protocol} formats ${formats}`]);
    if (m.title !== undefined) rows.push(['', `title: ${m.title}`]);
    for (const c of m.connections) rows.push(['', `connection ${connectionText(c)}`]);
    for (const b of m.bandwidths) rows.push(['', `bandwidth ${b.type} ${b.value} kbit/s`]);
    for (const a of m.attributes) rows.push(['', `a=${a.value === undefined ? a.name : `${a.name}:${a.value}`}`]);
  });
  return formatRows(rows);
}
