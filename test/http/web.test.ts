/**
 * The web page through HTTP (Node's fetch) against the real `rendezvous serve`: the security
 * headers, read-only routes, hostile names and a 64 KiB description shown as text, the SDP
 * download byte for byte as stored (and as ldapsearch reads it), paging, and the `--http`
 * flag (its default beside the LDAP port, `off`, and bad values).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { escapeDnValue, explain, ldapadd, ldapsearch, ldifAdd } from '../helpers/ldap-tools.js';
import { startServer, stopAllServers } from '../helpers/server.js';
import { httpAddress, parseHttpOption, ServerOptionsError } from '../../src/server/index.js';
import { addConference, ALICE_BIND, conferencePath, ntp, sdp, startWebServer, type WebServer } from './helpers.js';

afterAll(() => stopAllServers());

const now = Date.now();
const HOSTILE = '<img src=x onerror=alert(1)> "quoted" \'single\' & \u202Egnp.exe\u202C';
const conference = (name: string, startOffsetS: number, extra: string[] = []): string =>
  sdp('v=0', `o=alice ${ntp(now)} ${ntp(now)} IN IP4 host.example`, `s=${name}`, ...extra, 'c=IN IP4 233.252.0.5/15', `t=${ntp(now) + startOffsetS} ${ntp(now) + startOffsetS + 3600}`, 'm=audio 5004 RTP/AVP 0');

describe('the web page over HTTP', () => {
  let s: WebServer;
  const longDescription = `${'a long description '.repeat(3449)}<script>alert(2)</script>`.slice(0, 65536);
  let hostileDn: string;
  let longDn: string;
  let hostileBlob: string;
  beforeAll(async () => {
    s = await startWebServer();
    hostileBlob = conference(HOSTILE, 600, [`i=${HOSTILE} \u0007bell`]);
    hostileDn = await addConference(s.server.url, 'hostile', hostileBlob);
    longDn = await addConference(s.server.url, 'long', conference('Long one', 1200, [`i=${longDescription}`]));
  });

  it('answers with a Content-Security-Policy that allows no inline script, nosniff, and no third-party asset', async () => {
    const response = await fetch(`${s.web}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const text = await response.text();
    // Every script, style sheet and link the page loads is the server's own.
    const sources = [...text.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(source).toMatch(/^(?:\/(?!\/)|#)/);
    expect(text).not.toMatch(/<script>|<script [^>]*>[^<]/);
    for (const asset of sources.filter((p) => p.startsWith('/assets/'))) {
      const r = await fetch(`${s.web}${asset}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('is read-only: other methods get 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(`${s.web}${conferencePath(hostileDn)}`, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    expect((await fetch(`${s.web}${conferencePath(hostileDn)}`)).status).toBe(200);
  });

  it('shows hostile names, quotes, RTL marks and control characters as text', async () => {
    for (const path of ['/', conferencePath(hostileDn), `/?q=${encodeURIComponent('<img')}`]) {
      const text = await (await fetch(`${s.web}${path}`)).text();
      expect(text, path).not.toContain('<img');
      expect(text, path).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &#39;single&#39; &amp; \u202Egnp.exe\u202C');
      // Inside <bdi>, the override cannot reorder the text around the name.
      expect(text, path).toContain('<bdi>&lt;img src=x');
    }
    const page = await (await fetch(`${s.web}${conferencePath(hostileDn)}`)).text();
    expect(page).toContain('\\u0007bell');
    expect(page).not.toContain('\u0007');
  });

  it('shows a 64 KiB description whole on the conference page and cut short in the list', async () => {
    const page = await (await fetch(`${s.web}${conferencePath(longDn)}`)).text();
    expect(page).toContain(longDescription.replace('<script>alert(2)</script>', '&lt;script&gt;alert(2)&lt;/script&gt;').slice(0, 65000));
    expect(page).not.toContain('<script>alert(2)');
    const list = await (await fetch(`${s.web}/`)).text();
    expect(list.length).toBeLessThan(20_000);
    expect(list).toContain('a long description a long description');
  });

  it('offers the SDP byte for byte as stored, as application/sdp named after the session', async () => {
    const response = await fetch(`${s.web}${conferencePath(hostileDn)}/session.sdp`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/sdp');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="img srcx onerroralert1 quoted single gnp.exe.sdp"');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(Buffer.from(hostileBlob, 'utf8'))).toBe(true);
    const stored = await ldapsearch(s.server.url, { base: hostileDn, scope: 'base', attrs: ['conferenceBlob'] });
    expect(bytes.equals(stored.entries[0]!.buffers('conferenceBlob')[0]!)).toBe(true);
  });

  it('answers 404 for a conference that does not exist or a DN that is not one', async () => {
    for (const path of [conferencePath('uid=nobody,ou=dynamic,o=Intranet'), '/conference/%3D%3D%2C', `${conferencePath('uid=nobody,ou=dynamic,o=Intranet')}/session.sdp`, '/nothing']) {
      const response = await fetch(`${s.web}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-security-policy'), path).toContain("default-src 'none'");
    }
  });

  it('lists people on their own page, their names as text', async () => {
    const dn = `cn=${escapeDnValue(HOSTILE)},ou=dynamic,o=Intranet`;
    const added = await ldapadd(s.server.url, ldifAdd(dn, { objectClass: 'rtPerson', cn: HOSTILE, givenName: 'Ada', sn: 'Lovelace', mail: 'ada@example.org', location: 'Room 101' }), { auth: ALICE_BIND });
    expect(added.code, explain(added)).toBe(0);
    const page = await (await fetch(`${s.web}/people`)).text();
    expect(page).toContain('<h2><bdi>&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
    expect(page).toContain('<dd><bdi>Ada Lovelace</bdi></dd>');
    expect(page).toContain('<a href="mailto:ada@example.org"><bdi>ada@example.org</bdi></a>');
    expect(page).toContain('<dd><bdi>Room 101</bdi></dd>');
    expect(page).not.toContain('<img');
  });

  it('pages the list 50 conferences at a time', async () => {
    const many = await startWebServer();
    try {
      for (let i = 0; i < 60; i += 1) await addConference(many.server.url, `c${i}`, conference(`Conference ${i}`, 600 + i * 60));
      const first = await (await fetch(`${many.web}/`)).text();
      expect(first.match(/<article>/g)).toHaveLength(50);
      expect(first).toContain('href="/?page=2" rel="next"');
      const second = await (await fetch(`${many.web}/?page=2`)).text();
      expect(second.match(/<article>/g)).toHaveLength(10);
      expect(second).toContain('rel="prev"');
      expect(second).not.toContain('rel="next"');
    } finally {
      await many.server.stop();
    }
  });
});

/** Reads server-sent events from `url` until `count` events arrived (or 10 s passed). */
async function readEvents(url: string, count: number, headers: Record<string, string> = {}, during: () => Promise<void> = async () => {}): Promise<{ id: string; event: string; data: string }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id: string; event: string; data: string }[] = [];
  let buffer = '';
  const acting = during();
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string): string | undefined => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const event = field('event');
        if (event) events.push({ id: field('id')!, event, data: field('data')! });
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
    await acting;
  }
  return events;
}

describe('live updates (server-sent events)', () => {
  it('streams the changes that workers commit, and what a reconnecting page missed after its last event id', async () => {
    const s = await startWebServer({ args: ['--workers', '2'] });
    try {
      const events = await readEvents(`${s.web}/events`, 2, {}, async () => {
        await addConference(s.server.url, 'first', conference('First', 600));
        // After the first one ends: on the same group at an overlapping time the two would clash,
        // and the second's add would change the first's multicastClash flag (a third change).
        await addConference(s.server.url, 'second', conference('Second', 4300));
      });
      expect(events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
        ['change', { kind: 'add', dn: 'uid=first,ou=dynamic,o=Intranet' }],
        ['change', { kind: 'add', dn: 'uid=second,ou=dynamic,o=Intranet' }],
      ]);
      // A browser reconnecting sends the last id it saw and gets the rest.
      const missed = await readEvents(`${s.web}/events`, 1, { 'last-event-id': events[0]!.id });
      expect(missed.map((e) => [e.id, JSON.parse(e.data).dn])).toEqual([[events[1]!.id, 'uid=second,ou=dynamic,o=Intranet']]);
      // The page says where to start listening: the feed's head when it was rendered.
      const page = await (await fetch(`${s.web}/`)).text();
      expect(page).toContain(`data-events="/events?since=${events[1]!.id}"`);
    } finally {
      await s.server.stop();
    }
  });

  it('ends open streams when the server stops, which then exits cleanly', async () => {
    const s = await startWebServer();
    const response = await fetch(`${s.web}/events`);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('retry: 3000\n\n');
    const started = Date.now();
    expect(await s.server.stop()).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await reader.read()).done).toBe(true);
  });
});

describe('serve --http', () => {
  it('listens beside the LDAP port unless told: LDAP port + 1, a free one with --port 0, on loopback', () => {
    expect(httpAddress({ port: 1389 })).toEqual({ host: '127.0.0.1', port: 1390 });
    expect(httpAddress({ port: 0 })).toEqual({ host: '127.0.0.1', port: 0 });
    expect(httpAddress({ port: 1389, http: null })).toBeUndefined();
    expect(parseHttpOption('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHttpOption('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseHttpOption('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseHttpOption('off')).toBeNull();
    for (const bad of ['', 'x', '70000', 'host:', ':80', '::1:80']) expect(() => parseHttpOption(bad), bad).toThrow(ServerOptionsError);
  });

  it('logs the page URL before the LDAP line, and none with --http off', async () => {
    const on = await startServer({ args: ['--http', '127.0.0.1:0', '--madcap-port', 'off'] });
    expect(on.logs()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\/ \(web page and calendar feeds\)\n.*listening on ldap:/);
    await on.stop();
    const off = await startServer({ args: ['--http', 'off', '--madcap-port', 'off'] });
    expect(off.logs()).not.toContain('http://');
    await off.stop();
  });

  it('refuses a bad --http with a usage error, and a port the LDAP listener has', async () => {
    const bad = await runCli(['serve', '--http', 'nowhere', '--db', ':memory:']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--http: 'nowhere' is not [HOST:]PORT");
    const clash = await runCli(['serve', '--port', '1400', '--http', '1400', '--db', ':memory:']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("the web page's port 1400 is the LDAP port (--port)");
  });
});
