/**
 * The pages, server-rendered: the conference list (under way now, upcoming, permanent; a
 * search box and filters), a conference's own page with its full details and SDP, people,
 * and the not-found page. Plain links and forms: the pages work without the script, which
 * only shows times in the viewer's zone and refreshes `#live` (assets.ts). Every value from
 * the directory goes through {@link html}, so it shows as text.
 */
import { formatTypedTime, ntpToDate, type TimeDescription } from '../sdp/index.js';
import { addressesOf } from './addresses.js';
import { ASSET_PATHS } from './assets.js';
import type { ConferenceItem, PersonItem } from './entries.js';
import { html, userText, type Html } from './html.js';
import { conferencePath, type ListQuery, type When, WHEN_LABELS, listPath } from './routes.js';

/** What every page has around its content. */
export interface Frame {
  title: string;
  /** The nav entry of this page. */
  current: 'conferences' | 'people' | 'other';
  /** The live-update URL (server-sent events), when the feed exists. */
  events?: string;
  /** Milliseconds since the epoch when what the page shows changes by the clock alone (an occurrence starts or ends). */
  nextChange?: number;
}

/** A whole page. */
export function page(frame: Frame, content: Html): string {
  const nav = (path: string, label: string, key: Frame['current']): Html => html`<li><a href="${path}"${frame.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Rendezvous</title>
<link rel="stylesheet" href="${ASSET_PATHS.style}">
<link rel="icon" href="${ASSET_PATHS.icon}" type="image/svg+xml">
<link rel="alternate" type="text/calendar" href="/calendar.ics" title="All conferences (iCalendar)">
<script src="${ASSET_PATHS.script}" defer></script>
</head>
<body${frame.events ? html` data-events="${frame.events}"` : ''}${frame.nextChange ? html` data-next-change="${frame.nextChange}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Site"><ul>${nav('/', 'Conferences', 'conferences')}${nav('/people', 'People', 'people')}<li><a href="/calendar.ics">Calendar feed (.ics)</a></li></ul></nav></header>
<main id="main">
${content}
</main>
<footer><p class="muted" data-zone>Times are in UTC.</p></footer>
</body>
</html>
`.text;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A time in UTC, as the markup carries it (the script shows it in the viewer's zone, the title keeps UTC). */
export function timeHtml(date: Date): Html {
  const utc = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
  return html`<time datetime="${date.toISOString()}" title="${utc}">${utc}</time>`;
}

/** When a conference is on, in one line. */
function whenHtml(c: ConferenceItem, now: number): Html {
  const s = c.summary;
  if (s.permanent) return html`Permanent session`;
  const next = c.next;
  if (!next?.start) return html`Over`;
  const running = next.start.getTime() <= now;
  const repeats = c.session.times.some((t) => t.repeats.length > 0);
  return html`${running ? 'Under way since ' : 'Starts '}${timeHtml(next.start)}${next.end ? html`, until ${timeHtml(next.end)}` : ', with no end'}${repeats ? ' (repeats)' : ''}`;
}

/** Up to `max` characters of a text, cut at a word where there is one. */
function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

function mediaText(c: ConferenceItem): string {
  return [...new Set(c.session.media.map((m) => m.type))].join(', ') || 'none';
}

function contactsHtml(c: ConferenceItem): Html {
  const emails = c.session.emails.map((e) => html`<li>${e.name ? html`${userText(e.name)} ` : ''}<a href="mailto:${e.value}">${userText(e.value)}</a></li>`);
  const phones = c.session.phones.map((p) => html`<li>${p.name ? html`${userText(p.name)} ` : ''}<a href="tel:${p.value.replace(/[^+0-9]/g, '')}">${userText(p.value)}</a></li>`);
  return emails.length + phones.length === 0 ? html`none given` : html`<ul>${emails}${phones}</ul>`;
}

/** The facts of a conference, as a definition list. */
function factsHtml(c: ConferenceItem): Html {
  const addresses = addressesOf(c.session);
  return html`<dl class="facts">
<dt>Scope</dt><dd>${c.summary.advertisingScope ?? 'unicast'}${c.summary.isEncrypted ? ', encrypted' : ''}</dd>
<dt>Media</dt><dd>${mediaText(c)}</dd>
<dt>Addresses</dt><dd>${addresses.length === 0 ? 'none' : html`<ul>${addresses.map((a) => html`<li>${a}</li>`)}</ul>`}</dd>
<dt>Originator</dt><dd>${userText(c.summary.originator)}</dd>
<dt>Contacts</dt><dd>${contactsHtml(c)}</dd>
</dl>`;
}

function clashHtml(c: ConferenceItem): Html {
  if (c.clashes.length === 0) return html``;
  return html`<p class="clash" role="note"><strong>Multicast clash:</strong> ${c.clashes.map((v, i) => html`${i > 0 ? '; ' : ''}${userText(v)}`)}</p>`;
}

function actionsHtml(c: ConferenceItem): Html {
  const path = conferencePath(c.dn);
  const bounded = c.session.times.some((t) => t.start !== 0);
  return html`<p class="actions"><a class="button" href="${path}/session.sdp" type="application/sdp">Join<span class="vh"> ${c.summary.name}</span> (SDP)</a>${bounded ? html` <a href="${path}/calendar.ics" type="text/calendar">Add to calendar</a>` : ''}</p>`;
}

/** A conference in a list. */
function cardHtml(c: ConferenceItem, now: number): Html {
  const description = c.summary.description;
  return html`<li><article>
<h3><a href="${conferencePath(c.dn)}">${userText(c.summary.name)}</a></h3>
<p class="when">${whenHtml(c, now)}</p>
${description ? html`<p>${userText(excerpt(description, 300))}</p>` : ''}
${factsHtml(c)}
${clashHtml(c)}
${actionsHtml(c)}
</article></li>`;
}

/** One section of the list. */
function sectionHtml(id: string, title: string, items: readonly ConferenceItem[], now: number, empty: string): Html {
  return html`<section aria-labelledby="${id}">
<h2 id="${id}">${title}</h2>
${items.length === 0 ? html`<p class="muted">${empty}</p>` : html`<ul class="conferences">${items.map((c) => cardHtml(c, now))}</ul>`}
</section>`;
}

/** What the list page shows: one page of the sections. */
export interface ListPage {
  query: ListQuery;
  now: ConferenceItem[];
  upcoming: ConferenceItem[];
  permanent: ConferenceItem[];
  /** Whether there are pages before and after this one. */
  previous: boolean;
  more: boolean;
  truncated: boolean;
  /** The clock of the read (ms). */
  at: number;
}

/** The conference list. */
export function listHtml(list: ListPage): Html {
  const q = list.query;
  const filters = (Object.keys(WHEN_LABELS) as When[]).map(
    (when) => html`<li><a href="${listPath({ ...q, when, page: 1 })}" data-tz${q.when === when ? html` aria-current="page"` : ''}>${WHEN_LABELS[when]}</a></li>`,
  );
  const pages = html`<nav aria-label="Pages"><ul class="pages">${list.previous ? html`<li><a href="${listPath({ ...q, page: q.page - 1 })}" rel="prev">Previous page</a></li>` : ''}${list.more ? html`<li><a href="${listPath({ ...q, page: q.page + 1 })}" rel="next">Next page</a></li>` : ''}</ul></nav>`;
  const upcomingTitle = q.when === 'today' ? 'Later today' : q.when === 'week' ? 'Later in the next 7 days' : 'Upcoming (next 30 days)';
  return html`<h1>Conferences</h1>
<form role="search" method="get" action="/">
<label for="q">Search names and descriptions</label>
<input id="q" name="q" type="search" value="${q.text ?? ''}" maxlength="200">
<input type="hidden" name="when" value="${q.when}">
<input type="hidden" name="tz" value="${q.tz}">
<button type="submit">Search</button>
</form>
<nav aria-label="When"><ul class="filters">${filters}</ul></nav>
<p id="status" role="status" aria-live="polite"></p>
<div id="live">
${q.text ? html`<p>Conferences with “${userText(q.text)}” in their name or description. <a href="${listPath({ ...q, text: undefined, page: 1 })}">Show all</a></p>` : ''}
${list.truncated ? html`<p class="clash" role="note">There are more conferences than one page can be sorted from; search by name to narrow the list.</p>` : ''}
${sectionHtml('now', 'Under way now', list.now, list.at, 'No conference is under way.')}
${q.when === 'now' ? '' : sectionHtml('upcoming', upcomingTitle, list.upcoming, list.at, 'No conference starts in this time.')}
${q.when === 'now' ? '' : sectionHtml('permanent', 'Permanent sessions', list.permanent, list.at, 'No permanent session.')}
${pages}
</div>`;
}

/** A time description in words. */
function scheduleHtml(t: TimeDescription): Html {
  if (t.start === 0) return html`<li>Permanent (t=0 0)</li>`;
  const start = ntpToDate(t.start)!;
  const stop = ntpToDate(t.stop);
  const repeats = t.repeats.map(
    (r) => html`<li>every ${formatTypedTime(r.interval)} for ${formatTypedTime(r.duration)}, at offset${r.offsets.length > 1 ? 's' : ''} ${r.offsets.map(formatTypedTime).join(', ')}</li>`,
  );
  const zones = (t.zones ?? []).map((z) => html`<li>from ${timeHtml(ntpToDate(z.time)!)} shifted by ${formatTypedTime(z.offset)}</li>`);
  return html`<li>From ${timeHtml(start)} ${stop ? html`to ${timeHtml(stop)}` : 'with no end'}${repeats.length > 0 ? html`<ul>${repeats}</ul>` : ''}${zones.length > 0 ? html`<ul>${zones}</ul>` : ''}</li>`;
}

/** A link the session gives (`u=`), only when it is a web address: never a script URL. */
function webLink(uri: string | undefined): Html {
  if (uri === undefined) return html`none`;
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    url = undefined;
  }
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? html`<a href="${url.href}" rel="nofollow noopener">${userText(uri)}</a>` : userText(uri);
}

/** A conference's own page. */
export function conferenceHtml(c: ConferenceItem, now: number): Html {
  return html`<p><a href="/">← All conferences</a></p>
<p id="status" role="status" aria-live="polite"></p>
<div id="live">
<article>
<h1>${userText(c.summary.name)}</h1>
<p class="when">${whenHtml(c, now)}</p>
${c.summary.description ? html`<p class="description">${userText(c.summary.description)}</p>` : ''}
${clashHtml(c)}
${actionsHtml(c)}
<h2>Details</h2>
${factsHtml(c)}
<dl class="facts">
<dt>Entry</dt><dd>${userText(c.dn)}</dd>
<dt>Web page</dt><dd>${webLink(c.summary.url)}</dd>
<dt>Schedule</dt><dd><ul>${c.session.times.map(scheduleHtml)}</ul></dd>
</dl>
<h2>Session description (SDP)</h2>
<pre>${c.blob}</pre>
</article>
</div>`;
}

/** The people page. */
export function peopleHtml(people: readonly PersonItem[], nextPage: string | undefined, first: boolean): Html {
  const person = (p: PersonItem): Html => html`<li><h2>${userText(p.cn)}</h2>
<dl class="facts">
${p.fullName ? html`<dt>Name</dt><dd>${userText(p.fullName)}</dd>` : ''}
${p.mail.length > 0 ? html`<dt>E-mail</dt><dd>${p.mail.map((m, i) => html`${i > 0 ? ', ' : ''}<a href="mailto:${m}">${userText(m)}</a>`)}</dd>` : ''}
${p.location ? html`<dt>Location</dt><dd>${userText(p.location)}</dd>` : ''}
${p.comment ? html`<dt>Comment</dt><dd>${userText(p.comment)}</dd>` : ''}
${p.applications.length > 0 ? html`<dt>Applications</dt><dd>${userText(p.applications.join(', '))}</dd>` : ''}
</dl></li>`;
  return html`<h1>People</h1>
<p id="status" role="status" aria-live="polite"></p>
<div id="live">
${people.length === 0 ? html`<p class="muted">No one is registered.</p>` : html`<ul class="people">${people.map(person)}</ul>`}
<nav aria-label="Pages"><ul class="pages">${first ? '' : html`<li><a href="/people">First page</a></li>`}${nextPage ? html`<li><a href="${nextPage}" rel="next">Next page</a></li>` : ''}</ul></nav>
</div>`;
}

/** Not found (a conference that ended, or a wrong address). */
export function notFoundHtml(what: string): Html {
  return html`<h1>Not found</h1>
<p id="status" role="status" aria-live="polite"></p>
<div id="live"><p>${what}</p><p><a href="/">All conferences</a></p></div>`;
}
