/**
 * The HTTP listener of the web page and calendar feeds (fastify): its routes, the headers
 * every answer carries, and starting and stopping it. Read-only: every route is a GET (HEAD
 * follows); any other method gets 405. Runs in the primary process, beside the directory it
 * reads and its change feed (src/server/assembly.ts says why).
 *
 *   GET /                               the list (q, when=now|today|week|month, tz, page)
 *   GET /conference/DN                  a conference's page
 *   GET /conference/DN/session.sdp      its SDP, byte for byte as stored (application/sdp)
 *   GET /conference/DN/calendar.ics     its events
 *   GET /calendar.ics                   every scheduled conference's events (name=...)
 *   GET /people                         people (after=ID for the next page)
 *   GET /events                         server-sent events of committed changes
 *   GET /assets/page-HASH.css|.js       the style sheet and the script (and icon-HASH.svg)
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DirectoryTree } from '../directory/index.js';
import type { Logger } from '../log.js';
import { ASSET_PATHS, ICON, SCRIPT, STYLE } from './assets.js';
import { calendarOf, type ConferenceLinks } from './calendar.js';
import { Catalogue, type ReadEncoded } from './catalogue.js';
import type { ConferenceItem } from './entries.js';
import { LiveStreams, type ChangeFeed } from './live.js';
import { conferenceHtml, listHtml, notFoundHtml, page, peopleHtml, type Frame } from './pages.js';
import { conferencePath, PAGE_SIZE, parseListQuery, untilOf } from './routes.js';
import type { Html } from './html.js';

/** Where and how to listen. */
export interface HttpListenerOptions {
  host: string;
  /** 0 picks a free one. */
  port: number;
  /** The directory's change feed (DirectoryTree.changes, in the primary), for live updates; without it the page has none. */
  changes?: ChangeFeed;
  /** Reads attributes a search result carries as stored bytes (the protocol's codec: src/http does not speak it). */
  readEncoded: ReadEncoded;
  /** Clock (tests). */
  now?: () => number;
}

/** Events one calendar holds at most (a calendar is one response). */
export const MAX_CALENDAR_CONFERENCES = 500;
/** Open HTTP connections at most (event streams included); more are refused by the socket. */
const MAX_CONNECTIONS = 1024;
/** People one page shows. */
const PEOPLE_PAGE = 50;
/** The longest DN a path carries, percent-encoded (the directory's DNs are at most 8 KiB). */
const MAX_PATH_PARAM = 3 * 8192;

/**
 * Nothing but the server's own scripts, styles and images; no frames, no plugins, forms only
 * to itself.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A running web listener. */
export class HttpListener {
  private constructor(
    private readonly app: FastifyInstance,
    private readonly live: LiveStreams | undefined,
    /** `http://host:port/`. */
    readonly url: string,
    readonly port: number,
  ) {}

  /** Starts listening; rejects with a message that names the address when it cannot. */
  static async start(directory: DirectoryTree, options: HttpListenerOptions, log: Logger): Promise<HttpListener> {
    const live = options.changes ? new LiveStreams(options.changes) : undefined;
    const app = buildApp(new Catalogue(directory, options.readEncoded, options.now), live, log, options.now ?? Date.now);
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    try {
      await app.listen({ host: options.host, port: options.port });
    } catch (error) {
      live?.close();
      await app.close();
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new Error(`the web page cannot listen on http://${host}:${options.port}: ${why} (choose another with --http [HOST:]PORT, or --http off)`);
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    return new HttpListener(app, live, `http://${host}:${port}/`, port);
  }

  /** Ends the event streams, stops accepting, and finishes the requests in progress. */
  async close(): Promise<void> {
    this.live?.close();
    await this.app.close();
  }
}

/** The absolute base of links in feeds: the Host the client used when it is a plain host name, else the address it reached. */
function origin(request: FastifyRequest): string {
  const host = request.headers.host ?? '';
  if (/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return `http://${host}`;
  const address = request.socket.localAddress ?? '127.0.0.1';
  return `http://${address.includes(':') ? `[${address}]` : address}:${request.socket.localPort}`;
}

/** A file name from a session name: letters, digits, spaces, dots and dashes. */
function fileName(name: string, extension: string): string {
  const base = name.normalize('NFKD').replace(/[^A-Za-z0-9 ._-]/g, '').replace(/\s+/g, ' ').trim().slice(0, 80).replace(/^\.+/, '');
  return `${base || 'conference'}.${extension}`;
}

/** A file to save (or open with the application its type names). */
function download(reply: FastifyReply, name: string, type: string, body: Buffer | string): FastifyReply {
  return reply.header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').type(type).send(body);
}

function buildApp(catalogue: Catalogue, live: LiveStreams | undefined, log: Logger, now: () => number): FastifyInstance {
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: MAX_PATH_PARAM },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Requests are GETs: a body is never read, and a request must arrive whole within 30 s.
    bodyLimit: 1024,
    requestTimeout: 30_000,
  });
  app.server.maxConnections = MAX_CONNECTIONS;

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    return payload;
  });

  const frame = (title: string, current: Frame['current'], nextChange?: number): Frame => ({
    title,
    current,
    ...(live ? { events: `/events?since=${live.head()}` } : {}),
    ...(nextChange === undefined ? {} : { nextChange }),
  });
  const sendPage = (reply: FastifyReply, status: number, f: Frame, content: Html): FastifyReply =>
    reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page(f, content));
  const links = (request: FastifyRequest) => (c: ConferenceItem): ConferenceLinks => {
    const base = `${origin(request)}${conferencePath(c.dn)}`;
    return { page: base, sdp: `${base}/session.sdp` };
  };
  const notFound = (reply: FastifyReply, what: string): FastifyReply => sendPage(reply, 404, frame('Not found', 'other'), notFoundHtml(what));
  const gone = 'There is no such conference: it may have ended, or been removed.';

  app.get('/', async (request, reply) => {
    const query = parseListQuery(request.query);
    const at = now();
    const listing = await catalogue.listing({ until: untilOf(query, at), nowOnly: query.when === 'now', ...(query.text ? { text: query.text } : {}) });
    const all = [...listing.now, ...listing.upcoming, ...listing.permanent];
    const from = (query.page - 1) * PAGE_SIZE;
    const shown = new Set(all.slice(from, from + PAGE_SIZE));
    // The next moment the list changes by the clock: an occurrence shown starts or ends.
    const moments = [...listing.now, ...listing.upcoming].flatMap((c) => [c.next?.start?.getTime(), c.next?.end?.getTime()]).filter((t): t is number => t !== undefined && t > at);
    const content = listHtml({
      query,
      now: listing.now.filter((c) => shown.has(c)),
      upcoming: listing.upcoming.filter((c) => shown.has(c)),
      permanent: listing.permanent.filter((c) => shown.has(c)),
      previous: query.page > 1,
      more: all.length > from + PAGE_SIZE,
      truncated: listing.truncated,
      at,
    });
    const title = query.text ? `Conferences: ${query.text}` : 'Conferences';
    return sendPage(reply, 200, frame(title, 'conferences', moments.length > 0 ? Math.min(...moments) : undefined), content);
  });

  app.get<{ Params: { dn: string } }>('/conference/:dn', async (request, reply) => {
    const c = await catalogue.conference(request.params.dn);
    if (!c) return notFound(reply, gone);
    const at = now();
    const moments = [c.next?.start?.getTime(), c.next?.end?.getTime()].filter((t): t is number => t !== undefined && t > at);
    return sendPage(reply, 200, frame(c.summary.name, 'other', moments.length > 0 ? Math.min(...moments) : undefined), conferenceHtml(c, at));
  });

  app.get<{ Params: { dn: string } }>('/conference/:dn/session.sdp', async (request, reply) => {
    const c = await catalogue.conference(request.params.dn);
    if (!c) return notFound(reply, gone);
    // The stored text, byte for byte: players read it as the session's description.
    return download(reply, fileName(c.summary.name, 'sdp'), 'application/sdp', Buffer.from(c.blob, 'utf8'));
  });

  app.get<{ Params: { dn: string } }>('/conference/:dn/calendar.ics', async (request, reply) => {
    const c = await catalogue.conference(request.params.dn);
    if (!c) return notFound(reply, gone);
    return download(reply, fileName(c.summary.name, 'ics'), 'text/calendar; charset=utf-8', calendarOf(c.summary.name, [c], links(request)));
  });

  app.get('/calendar.ics', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const name = typeof q.name === 'string' && q.name.trim() !== '' ? q.name.trim().slice(0, 200) : undefined;
    const read = await catalogue.scheduled(name, MAX_CALENDAR_CONFERENCES);
    const title = name ? `Rendezvous conferences: ${name}` : 'Rendezvous conferences';
    const description = read.truncated ? `The first ${read.items.length} conferences only: add ?name= to narrow the feed.` : undefined;
    return reply.header('cache-control', 'no-cache').type('text/calendar; charset=utf-8').send(calendarOf(title, read.items, links(request), description));
  });

  app.get('/people', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const after = typeof q.after === 'string' && /^\d{1,15}$/.test(q.after) ? Number(q.after) : undefined;
    const people = await catalogue.people(PEOPLE_PAGE, after);
    return sendPage(reply, 200, frame('People', 'people'), peopleHtml(people.items, people.next === undefined ? undefined : `/people?after=${people.next}`, after === undefined));
  });

  app.get('/events', async (request, reply) => {
    if (!live) return reply.code(404).type('text/plain; charset=utf-8').send('no live updates here\n');
    if (live.full) return reply.code(503).header('retry-after', '60').type('text/plain; charset=utf-8').send('too many live pages open; try later\n');
    const lastId = request.headers['last-event-id'] ?? (request.query as Record<string, unknown>).since;
    const since = typeof lastId === 'string' && /^\d{1,15}$/.test(lastId) ? Number(lastId) : undefined;
    reply.hijack();
    const headers = { 'x-content-type-options': 'nosniff', 'content-security-policy': CONTENT_SECURITY_POLICY };
    for (const [name, value] of Object.entries(headers)) reply.raw.setHeader(name, value);
    live.open(reply.raw, since);
  });

  const asset = (text: string, type: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('cache-control', 'public, max-age=31536000, immutable').type(type).send(text);
  app.get(ASSET_PATHS.style, asset(STYLE, 'text/css; charset=utf-8'));
  app.get(ASSET_PATHS.script, asset(SCRIPT, 'text/javascript; charset=utf-8'));
  app.get(ASSET_PATHS.icon, asset(ICON, 'image/svg+xml'));

  app.setNotFoundHandler(async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply.code(405).header('allow', 'GET, HEAD').type('text/plain; charset=utf-8').send('this server is read-only: only GET and HEAD\n');
    }
    return notFound(reply, 'There is nothing at this address.');
  });
  app.setErrorHandler(async (error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).type('text/plain; charset=utf-8').send(`${(error as Error).message}\n`);
    log.warn(`web page: ${request.method} ${request.url}: ${(error as Error).message}`);
    return reply.code(500).type('text/plain; charset=utf-8').send('internal error; the server log says more\n');
  });
  return app;
}


