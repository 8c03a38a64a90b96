/**
 * What the web page tests share: a server with its web page, conferences made from SDP text
 * and added over LDAP (ldapadd, as an account), the fixtures moved into the future, and the
 * artefacts directory for screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { explain, ldapadd, ldifAdd, type LdifAttributes } from '../helpers/ldap-tools.js';
import { accountDn, startServer, type ServerOptions, type TestServer } from '../helpers/server.js';

export const ALICE = { name: 'alice', password: 'alice-pw' };
export const ALICE_BIND = { dn: accountDn('alice'), password: ALICE.password };
export const DYNAMIC = 'ou=dynamic,o=Intranet';
export const NTP_OFFSET = 2_208_988_800;
const WEEK = 604_800;

/** Where tests leave screenshots (gitignored). */
export const ARTEFACTS = fileURLToPath(new URL('../../test-artifacts/http/', import.meta.url));

/** Creates the artefacts directory and returns the path of a file in it. */
export function artefact(name: string): string {
  mkdirSync(ARTEFACTS, { recursive: true });
  return `${ARTEFACTS}${name}`;
}

/** A server and its web page's base URL (`http://127.0.0.1:PORT`, no slash). */
export interface WebServer {
  server: TestServer;
  web: string;
}

/** Starts `rendezvous serve` with alice's account and the web page on a free port. */
export async function startWebServer(options: ServerOptions = {}): Promise<WebServer> {
  const server = await startServer({ accounts: [ALICE], ...options, args: ['--http', '127.0.0.1:0', '--madcap-port', 'off', ...(options.args ?? [])] });
  const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/ \(web page/.exec(server.logs());
  if (!m) throw new Error(`no web page in the log:\n${server.logs()}`);
  return { server, web: m[1]! };
}

/** The bytes of an SDP fixture (test/sdp/fixtures/valid). */
export function fixture(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../sdp/fixtures/valid/${name}`, import.meta.url)));
}

/**
 * A fixture whose times (t= and z=, NTP seconds of 10 digits) are moved by whole weeks so that
 * its first start is a week from now or later: the directory refuses conferences that ended,
 * and weeks keep every weekday and interval as the fixture has it. Returns the text and the shift.
 */
export function movedFixture(name: string, now = Date.now()): { text: string; shift: number } {
  const text = fixture(name).toString('utf8');
  const starts = [...text.matchAll(/^t=(\d{10}) /gm)].map((m) => Number(m[1]));
  const nowNtp = Math.floor(now / 1000) + NTP_OFFSET;
  const shift = Math.max(0, Math.ceil((nowNtp - Math.min(...starts)) / WEEK) + 1) * WEEK;
  const moved = text.replace(/^([tz]=.*)$/gm, (line) => line.replace(/\b\d{10}\b/g, (n) => String(Number(n) + shift)));
  return { text: moved, shift };
}

/** Lines joined with CRLF, ending with one: an SDP blob. */
export function sdp(...lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('');
}

/** NTP seconds of a time in milliseconds. */
export function ntp(ms: number): number {
  return Math.floor(ms / 1000) + NTP_OFFSET;
}

/** Adds a conference `uid` under ou=dynamic as alice (a static entry unless `attributes` say otherwise); its DN. */
export async function addConference(url: string, uid: string, blob: string | Buffer, attributes: LdifAttributes = {}): Promise<string> {
  const dn = `uid=${uid},${DYNAMIC}`;
  const r = await ldapadd(url, ldifAdd(dn, { objectClass: 'rtConference', uid, conferenceBlob: Buffer.isBuffer(blob) ? blob : Buffer.from(blob, 'utf8'), ...attributes }), { auth: ALICE_BIND });
  if (r.code !== 0) throw new Error(`ldapadd ${dn}: ${explain(r)}`);
  return dn;
}

/** The path of a conference's page (as the page links it). */
export function conferencePath(dn: string): string {
  return `/conference/${encodeURIComponent(dn)}`;
}
