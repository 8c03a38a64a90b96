/**
 * The page's only assets, served from the server itself (no CDN, no build step): the style
 * sheet, the icon and the small script that shows times in the viewer's time zone and keeps the list
 * up to date from the server-sent events. The page works without the script: times are then
 * in UTC, and a reload shows what changed. Scripts run only from here (the Content-Security-
 * Policy allows no inline script).
 */
import { createHash } from 'node:crypto';

/** The style sheet: system fonts, readable on a phone, visible focus, light and dark. */
export const STYLE = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #4a4a4a; --line: #c8c8c8; --accent: #0b57d0; --warn-bg: #fff4ce; --warn-fg: #5c4400; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --bg: #141414; --muted: #bdbdbd; --line: #4a4a4a; --accent: #8ab4f8; --warn-bg: #3d3000; --warn-fg: #ffe8a3; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 0 1rem 2rem; font: 1rem/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip, .vh { position: absolute; left: -100vw; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
header nav ul, .filters, .pages { display: flex; flex-wrap: wrap; gap: .5rem 1rem; list-style: none; padding: 0; }
header nav { border-bottom: 1px solid var(--line); }
[aria-current="page"] { font-weight: bold; text-decoration: none; color: var(--fg); }
form[role="search"] { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
input[type="search"] { flex: 1 1 12rem; font: inherit; padding: .4rem; min-height: 2.5rem; }
button, .button { font: inherit; padding: .4rem .9rem; min-height: 2.5rem; border: 1px solid var(--accent); border-radius: .3rem; background: var(--accent); color: var(--bg); cursor: pointer; text-decoration: none; display: inline-block; }
.conferences, .people { list-style: none; padding: 0; }
.conferences > li, .people > li { border: 1px solid var(--line); border-radius: .4rem; padding: .75rem 1rem; margin: .75rem 0; }
h3 { margin: 0 0 .25rem; font-size: 1.15rem; }
.muted, .when { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
@media (max-width: 30rem) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .4rem; } }
.clash { background: var(--warn-bg); color: var(--warn-fg); padding: .4rem .6rem; border-radius: .3rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
pre { overflow-x: auto; padding: .75rem; border: 1px solid var(--line); border-radius: .3rem; white-space: pre; }
.description { white-space: pre-wrap; }
`;

/** The script: local times, filters that carry the time zone, live updates. */
export const SCRIPT = `'use strict';
(function () {
  var format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  var offset = -new Date().getTimezoneOffset();
  function localize(root) {
    root.querySelectorAll('time[datetime]').forEach(function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) return;
      el.textContent = format.format(date);
    });
    root.querySelectorAll('input[name="tz"]').forEach(function (el) { el.value = String(offset); });
    root.querySelectorAll('a[data-tz]').forEach(function (el) {
      var url = new URL(el.href, location.href);
      url.searchParams.set('tz', String(offset));
      el.href = url.pathname + url.search;
    });
    root.querySelectorAll('[data-zone]').forEach(function (el) { el.textContent = 'Times are in ' + zone + '; hover over a time for UTC.'; });
  }
  localize(document);
  var body = document.body;
  var live = document.getElementById('live');
  if (!live || !body.dataset.events || typeof EventSource === 'undefined') return;
  var status = document.getElementById('status');
  var timer = null;
  var boundary = null;
  function refresh() {
    timer = null;
    fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var next = doc.getElementById('live');
        if (!next) return;
        live.replaceWith(next);
        live = next;
        body.dataset.nextChange = doc.body.dataset.nextChange || '';
        localize(live);
        schedule();
        if (status) status.textContent = 'Updated at ' + format.format(new Date()) + '.';
      })
      .catch(function () { if (status) status.textContent = 'Could not update the list; reload the page.'; });
  }
  function soon() { if (timer === null) timer = setTimeout(refresh, 250); }
  function schedule() {
    if (boundary !== null) clearTimeout(boundary);
    boundary = null;
    var at = Number(body.dataset.nextChange);
    if (at > 0) boundary = setTimeout(soon, Math.min(Math.max(at - Date.now() + 500, 0), 2147483647));
  }
  var source = new EventSource(body.dataset.events);
  source.addEventListener('change', soon);
  source.addEventListener('reset', soon);
  schedule();
})();
`;

/** The page's icon: two overlapping rings, a rendezvous. */
export const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><g fill="none" stroke="#0b57d0" stroke-width="3"><circle cx="12" cy="16" r="8"/><circle cx="20" cy="16" r="8"/></g></svg>`;

/** A short hash of an asset, for URLs that can be cached for ever. */
function version(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** The URLs of the assets: they change when the assets do. */
export const ASSET_PATHS = { style: `/assets/page-${version(STYLE)}.css`, script: `/assets/page-${version(SCRIPT)}.js`, icon: `/assets/icon-${version(ICON)}.svg` } as const;
