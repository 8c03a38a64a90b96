/**
 * How the watch commands (`watch`, `list --watch`) print a change: one line of text (time,
 * kind, type, name, and a conference's start and end or a user's addresses), or one JSON
 * object per line.
 */
import type { WatchEvent } from '../client/index.js';
import { conferenceJson, spanCells } from './conference-view.js';
import { formatLocalTime } from './format.js';
import { userJson } from './user-view.js';

/** A change as one line of text; undefined for events that are not changes (synced, cookie). */
export function changeLine(event: WatchEvent, time: Date): string | undefined {
  const head = (kind: string, type: string, name: string): string => `${formatLocalTime(time)}  ${kind.padEnd(8)}  ${type.padEnd(10)}  ${name}`;
  switch (event.kind) {
    case 'added':
    case 'modified': {
      const detail = event.type === 'conference' ? spanCells(event.object).join('  ') : event.object.ipAddresses.join(',') || '-';
      return `${head(event.kind, event.type, event.object.name)}  ${detail}`;
    }
    case 'deleted':
      return head('deleted', event.type ?? '-', event.name ?? event.dn ?? event.uuid);
    case 'present':
      return head('present', '-', event.dn ?? event.uuid);
    case 'synced':
    case 'cookie':
      return undefined;
  }
}

/** Any event as one JSON object (no line breaks). */
export function changeJson(event: WatchEvent, time: Date): string {
  const base = { time: time.toISOString(), kind: event.kind };
  switch (event.kind) {
    case 'added':
    case 'modified':
      return JSON.stringify({
        ...base,
        type: event.type,
        name: event.object.name,
        dn: event.dn,
        uuid: event.uuid,
        ...(event.type === 'conference' ? { conference: conferenceJson(event.object) } : { user: userJson(event.object) }),
        cookie: event.cookie,
      });
    case 'deleted':
      return JSON.stringify({ ...base, type: event.type, name: event.name, dn: event.dn, uuid: event.uuid, cookie: event.cookie });
    case 'present':
      return JSON.stringify({ ...base, dn: event.dn, uuid: event.uuid, cookie: event.cookie });
    case 'synced':
      return JSON.stringify({ ...base, fullRefresh: event.fullRefresh, cookie: event.cookie });
    case 'cookie':
      return JSON.stringify({ ...base, cookie: event.cookie });
  }
}
