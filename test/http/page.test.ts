/**
 * The web page in a real browser (headless Chromium) against a real `rendezvous serve`: it
 * lists the conferences in their sections, shows times in the viewer's zone with UTC on
 * hover, follows a conference link to its details and SDP, renders a hostile name as text
 * (no element made, no script run, no CSP violation), works without JavaScript, and keeps
 * itself current without a reload: a conference added over LDAP appears, and one whose TTL
 * lapses (expiry deletes it: only the change feed can tell the page) vanishes. Screenshots go
 * to test-artifacts/http/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, ldapexop } from '../helpers/ldap-tools.js';
import { stopAllServers } from '../helpers/server.js';
import { launchChromium } from './browser.js';
import { addConference, ALICE_BIND, artefact, conferencePath, fixture, movedFixture, ntp, sdp, startWebServer, type WebServer } from './helpers.js';

const HOSTILE = '<img src=x onerror=alert(1)> "quoted" \u202Egnp.exe';
const now = Date.now();
const blob = (name: string, from: number, to: number, group: number, info?: string): string =>
  sdp('v=0', `o=alice ${ntp(now)} ${ntp(now)} IN IP4 host.example`, `s=${name}`, ...(info ? [`i=${info}`] : []), 'e=alice@example.org (Alice)', `c=IN IP4 233.252.0.${group}/15`, `t=${ntp(from)} ${ntp(to)}`, 'm=audio 5004 RTP/AVP 0', 'm=video 5006 RTP/AVP 31');
const HOUR = 3_600_000;

afterAll(() => stopAllServers());

describe('the web page in Chromium', () => {
  let s: WebServer;
  let browser: Browser;
  const dns: Record<string, string> = {};
  beforeAll(async () => {
    [s, browser] = await Promise.all([startWebServer({ args: ['--ttl-min', '1'] }), launchChromium()]);
    dns.review = await addConference(s.server.url, 'review', blob('Design review', now - HOUR, now + 2 * HOUR, 1, 'Walk through the new directory schema'));
    dns.hostile = await addConference(s.server.url, 'hostile', blob(HOSTILE, now + 2 * HOUR, now + 3 * HOUR, 2, 'A name that tries to be markup'));
    dns.seminar = await addConference(s.server.url, 'seminar', movedFixture('schedule-repeats-zone.sdp').text);
    dns.radio = await addConference(s.server.url, 'radio', fixture('permanent-session.sdp'));
  }, 60_000);
  afterAll(() => browser?.close());

  /** A page in New York time, failing the test on any dialog (an injected alert) or console error (a CSP violation). */
  async function open(path: string, options: { javaScript?: boolean; width?: number } = {}): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US', javaScriptEnabled: options.javaScript ?? true, viewport: { width: options.width ?? 1000, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${s.web}${path}`);
    return { page, problems };
  }

  it('lists the conferences in their sections, with times in the viewer\'s zone and UTC on hover', async () => {
    const { page, problems } = await open('/');
    const section = (id: string): Promise<string[]> => page.locator(`section[aria-labelledby="${id}"] h3`).allTextContents();
    expect(await section('now')).toEqual(['Design review']);
    expect(await section('upcoming')).toEqual([HOSTILE, 'Weekly Multicast Seminar']);
    expect(await section('permanent')).toEqual(['Campus Radio (24/7)']);
    // The script showed the start in New York time; the title keeps UTC.
    const time = page.locator('section[aria-labelledby="now"] time').first();
    const utc = new Date(Math.floor((now - HOUR) / 1000) * 1000);
    expect(await time.getAttribute('title')).toBe(`${utc.toISOString().slice(0, 10)} ${utc.toISOString().slice(11, 16)} UTC`);
    expect(await time.textContent()).toBe(new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/New_York' }).format(utc));
    expect(await page.locator('footer').textContent()).toContain('America/New_York');
    // The filters carry the viewer's offset, so "today" ends at their midnight.
    expect(await page.getByRole('link', { name: 'Today' }).getAttribute('href')).toMatch(/^\/\?when=today&tz=-(240|300)$/);
    await page.screenshot({ path: artefact('list.png'), fullPage: true });
    await page.screenshot({ path: artefact('list-top.png') });
    // The first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    expect(problems).toEqual([]);
  });

  it('renders a hostile name as text: no element is made and no script runs', async () => {
    const { page, problems } = await open(conferencePath(dns.hostile!));
    expect(await page.locator('h1').textContent()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).toBe(`${HOSTILE} · Rendezvous`);
    expect(problems).toEqual([]);
  });

  it('follows a conference link to its details and SDP', async () => {
    const { page, problems } = await open('/');
    await page.getByRole('link', { name: 'Weekly Multicast Seminar', exact: true }).click();
    await page.waitForURL(`${s.web}${conferencePath(dns.seminar!)}`);
    expect(await page.locator('h1').textContent()).toBe('Weekly Multicast Seminar');
    expect(await page.locator('.description').textContent()).toBe('Two blocks of weekly sessions; the second block spans British Summer Time');
    const sdpText = await page.locator('pre').textContent();
    expect(sdpText).toContain('r=7d 1h 0 25h');
    expect(sdpText).toContain('z=');
    expect(await page.locator('dl.facts').first().textContent()).toContain('audio 233.252.0.12/127 port 49170 RTP/AVP');
    const join = page.getByRole('link', { name: /^Join/ });
    expect(await join.getAttribute('href')).toBe(`${conferencePath(dns.seminar!)}/session.sdp`);
    await page.screenshot({ path: artefact('conference.png'), fullPage: true });
    const phone = await open(conferencePath(dns.seminar!), { width: 390 });
    // Readable on a phone: nothing wider than the screen but the SDP, which scrolls in its box.
    expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: artefact('conference-phone.png'), fullPage: true });
    expect([...problems, ...phone.problems]).toEqual([]);
  });

  it('works without JavaScript: the list, the search form and the filters are plain HTML', async () => {
    const { page } = await open('/', { javaScript: false });
    expect(await page.locator('section[aria-labelledby="now"] h3').allTextContents()).toEqual(['Design review']);
    expect(await page.locator('time').first().textContent()).toMatch(/ UTC$/);
    await page.getByLabel('Search names and descriptions').fill('seminar');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=seminar/);
    expect(await page.locator('article h3').allTextContents()).toEqual(['Weekly Multicast Seminar']);
    await page.getByRole('link', { name: 'Now' }).click();
    await page.waitForURL(/when=now/);
    expect(await page.locator('article h3').allTextContents()).toEqual([]);
  });

  it('shows a conference added over LDAP, and drops one whose TTL lapsed, without a reload', async () => {
    const { page, problems } = await open('/');
    await page.evaluate('window.loadedOnce = true');
    const names = (): Promise<string[]> => page.locator('article h3').allTextContents();
    await addConference(s.server.url, 'late', blob('Late addition', now - HOUR / 2, now + HOUR, 3));
    await expect.poll(names, { timeout: 15_000 }).toContain('Late addition');
    // A dynamic conference whose TTL lapses in 3 s, long before its SDP stop time: only expiry,
    // through the change feed, removes it (the page's clock has nothing to wait for).
    const expiring = await addConference(s.server.url, 'expiring', blob('Expiring soon', now - HOUR / 2, now + 5 * HOUR, 4), { objectClass: ['rtConference', 'dynamicObject'] });
    await expect.poll(names, { timeout: 15_000 }).toContain('Expiring soon');
    await page.screenshot({ path: artefact('list-live.png'), fullPage: true });
    const refresh = await ldapexop(s.server.url, ['refresh', expiring, '3'], { auth: ALICE_BIND });
    expect(refresh.code, explain(refresh)).toBe(0);
    await expect.poll(names, { timeout: 20_000 }).not.toContain('Expiring soon');
    expect(await names()).toContain('Late addition');
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
    expect(await page.locator('#status').textContent()).toMatch(/^Updated at /);
    expect(problems).toEqual([]);
  });
});
