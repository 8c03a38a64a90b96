/**
 * The web page and calendar feeds, for people who are not LDAP clients: a read-only HTTP
 * listener (fastify) over the directory, started by the composition root in the primary
 * process. It offers
 *
 * - {@link HttpListener}: the list of conferences (under way, upcoming, permanent; search and
 *   filters), a conference's page with its SDP, people, the SDP download (Join), calendar
 *   feeds (RFC 5545), and live updates over server-sent events from the change feed;
 * - {@link ChangeFeed}: the directory's change feed, which its live updates follow.
 *
 * Inside: `catalogue.ts` reads the directory (as an anonymous client), `entries.ts` turns
 * entries into the page's model, `pages.ts` renders (through `html.ts`, which escapes),
 * `calendar.ts` writes iCalendar, `live.ts` streams changes, `assets.ts` holds the style
 * sheet and script, `routes.ts` the addresses and the list's query.
 *
 * @packageDocumentation
 */
export { HttpListener, MAX_CALENDAR_CONFERENCES, type HttpListenerOptions } from './listener.js';
export type { ChangeFeed } from './live.js';
