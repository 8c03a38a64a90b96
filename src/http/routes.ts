/**
 * The page's addresses: the query of the list page parsed into a typed value (anything
 * unexpected falls back to the default, never an error page), and the paths of a list query
 * and of a conference, which carry its DN.
 */

/** The list's time filters. */
export type When = 'now' | 'today' | 'week' | 'month';

/** The filter links, in order. */
export const WHEN_LABELS: Readonly<Record<When, string>> = { now: 'Now', today: 'Today', week: 'This week', month: 'Next 30 days' };

/** The list page's query. */
export interface ListQuery {
  when: When;
  /** Search text (name and description). */
  text?: string | undefined;
  /** The viewer's time zone, minutes east of UTC (the script fills it in; 0 without it). */
  tz: number;
  /** 1-based. */
  page: number;
}

/** Longest search text taken. */
export const MAX_TEXT = 200;

/** Conferences one list page shows. */
export const PAGE_SIZE = 50;

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return first(value[0]);
  return typeof value === 'string' ? value : undefined;
}

/** Reads the list page's query string (as fastify parsed it). */
export function parseListQuery(query: unknown): ListQuery {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const when = first(q.when);
  const text = first(q.q)?.trim().slice(0, MAX_TEXT);
  const tz = Number(first(q.tz));
  const page = Number(first(q.page));
  return {
    when: when !== undefined && when in WHEN_LABELS ? (when as When) : 'month',
    ...(text ? { text } : {}),
    tz: Number.isInteger(tz) && Math.abs(tz) <= 14 * 60 ? tz : 0,
    page: Number.isInteger(page) && page >= 1 && page <= 1000 ? page : 1,
  };
}

/** Until when a list query looks (ms): the end of the viewer's day, seven days, thirty days. */
export function untilOf(query: ListQuery, now: number): number {
  const day = 86_400_000;
  switch (query.when) {
    case 'now':
      return now;
    case 'today': {
      const local = now + query.tz * 60_000;
      return (Math.floor(local / day) + 1) * day - query.tz * 60_000;
    }
    case 'week':
      return now + 7 * day;
    case 'month':
      return now + 30 * day;
  }
}

/** The path of a list query; defaults are left out. */
export function listPath(query: ListQuery): string {
  const params = new URLSearchParams();
  if (query.text) params.set('q', query.text);
  if (query.when !== 'month') params.set('when', query.when);
  if (query.tz !== 0) params.set('tz', String(query.tz));
  if (query.page > 1) params.set('page', String(query.page));
  const search = params.toString();
  return search ? `/?${search}` : '/';
}

/** The path of a conference's page; its SDP and calendar are below it. */
export function conferencePath(dn: string): string {
  return `/conference/${encodeURIComponent(dn)}`;
}
