/**
 * `ldapsearch` with a live-update control (`-E '!sync=ro'`, `-E '!sync=rp[/cookie]'`,
 * `-E '!ps=15/1/1'`) as a test peer: its output read as it comes, parsed into events (entries
 * with their Sync State or Entry Change Notification, Sync Info messages, the switch to the
 * persist stage, Sync Done), and waited on with a deadline. A refreshAndPersist or persistent
 * search runs until killed: {@link LiveSearch.stop} ends it.
 *
 * The parser reads what ldap-utils 2.5 prints (ldapsearch.c): `# SyncState control, UUID U
 * added|modified|deleted|present`, `# cookie: C`, `# SyncInfo Received: refresh delete|refresh
 * present|new cookie|ID Set`, `# following UUIDs no longer match the search` (an ID set of
 * deletes), `# syncUUIDs:` followed by one `#<tab>UUID` line each, `# refresh done,
 * switching to persist stage`, `# SyncDone control refreshDeletes=0|1`, and Entry Change
 * Notification controls as `control: 2.16.840.1.113730.3.4.7 false BASE64`.
 */
import { connectArgs, type ConnectOptions, type SearchOptions } from './ldap-tools.js';
import { startLiveProcess, type LiveProcess } from './live-process.js';

/** One thing ldapsearch printed. */
export type LiveEvent =
  | {
      kind: 'entry';
      dn: string;
      /** The attribute values printed (names lower-cased; base64 values decoded as UTF-8). */
      attrs: Record<string, string[]>;
      uuid?: string;
      state?: 'added' | 'modified' | 'deleted' | 'present';
      cookie?: string;
      change?: PsChange;
    }
  | {
      kind: 'info';
      info: 'refresh delete' | 'refresh present' | 'new cookie' | 'sync id set';
      cookie?: string;
      /** The entryUUIDs of an ID set. */
      uuids: string[];
      /** For an ID set: true when its entries were deleted (or left the search), false when present. */
      refreshDeletes?: boolean;
    }
  | { kind: 'persist' }
  | { kind: 'done'; refreshDeletes: boolean; cookie?: string }
  | { kind: 'result'; code: number };

/** Entry Change Notification (persistent search): the change type. */
export type PsChange = 'add' | 'delete' | 'modify' | 'moddn';

const ECN = '2.16.840.1.113730.3.4.7';
const CHANGE_TYPES: Record<number, PsChange> = { 1: 'add', 2: 'delete', 4: 'modify', 8: 'moddn' };

/** The changeType of an Entry Change Notification value (SEQUENCE { changeType ENUMERATED, ... }). */
export function ecnChangeType(value: Buffer): PsChange | undefined {
  // 30 len [len bytes] 0a 01 type
  let offset = 1;
  const first = value[offset] ?? 0;
  offset += first & 0x80 ? 1 + (first & 0x7f) : 1;
  if (value[offset] !== 0x0a || value[offset + 1] !== 1) return undefined;
  return CHANGE_TYPES[value[offset + 2] ?? 0];
}

/** Parses ldapsearch's output (with `-o ldif-wrap=no`) into events, in order. */
export function parseLiveOutput(text: string): LiveEvent[] {
  const events: LiveEvent[] = [];
  for (const block of text.replace(/\r\n/g, '\n').split(/\n\n+/)) {
    const lines = block.split('\n');
    const dnLine = lines.find((l) => l.startsWith('dn:'));
    if (dnLine) {
      const dn = dnLine.startsWith('dn::') ? Buffer.from(dnLine.slice(4).trim(), 'base64').toString('utf8') : dnLine.slice(3).trim();
      const entry: Extract<LiveEvent, { kind: 'entry' }> = { kind: 'entry', dn, attrs: {} };
      for (const line of lines) {
        const attribute = /^([A-Za-z][\w;-]*)(::?) ?(.*)$/.exec(line);
        if (attribute && attribute[1] !== 'dn' && attribute[1] !== 'control') {
          const value = attribute[2] === '::' ? Buffer.from(attribute[3]!, 'base64').toString('utf8') : attribute[3]!;
          (entry.attrs[attribute[1]!.toLowerCase()] ??= []).push(value);
        }
        const state = /^# SyncState control, UUID (\S+) (added|modified|deleted|present)/.exec(line);
        if (state) {
          entry.uuid = state[1];
          entry.state = state[2] as 'added';
        }
        const cookie = /^# cookie:(:?) (.*)$/.exec(line);
        if (cookie) entry.cookie = cookie[1] ? Buffer.from(cookie[2]!, 'base64').toString('utf8') : cookie[2];
        const control = /^control: (\S+) (?:true|false) ?(:?)(\S*)$/.exec(line);
        if (control && control[1] === ECN) entry.change = ecnChangeType(Buffer.from(control[3] ?? '', 'base64'));
      }
      events.push(entry);
      continue;
    }
    let info: Extract<LiveEvent, { kind: 'info' }> | undefined;
    let done: Extract<LiveEvent, { kind: 'done' }> | undefined;
    let inUuids = false;
    for (const line of lines) {
      const received = /^# SyncInfo Received: (.*)$/.exec(line);
      if (received) {
        const text = received[1]!.trim();
        const name = text.startsWith('refresh delete') ? 'refresh delete' : text.startsWith('refresh present') ? 'refresh present' : text.startsWith('new cookie') ? 'new cookie' : 'sync id set';
        info = { kind: 'info', info: name, uuids: [] };
        events.push(info);
        if (name === 'sync id set') info.refreshDeletes = false;
        continue;
      }
      if (line.startsWith('# following UUIDs no longer match the search') && info) {
        info.refreshDeletes = true;
        continue;
      }
      if (line.startsWith('# syncUUIDs:')) {
        inUuids = true;
        continue;
      }
      if (inUuids && /^#\s+[0-9a-f-]{36}\s*$/i.test(line)) {
        info?.uuids.push(line.replace(/^#\s+/, '').trim());
        continue;
      }
      inUuids = false;
      const cookie = /^# cookie:(:?) (.*)$/.exec(line);
      if (cookie) {
        const value = cookie[1] ? Buffer.from(cookie[2]!, 'base64').toString('utf8') : cookie[2];
        if (done) done.cookie = value;
        else if (info) info.cookie = value;
      }
      if (line.startsWith('# refresh done, switching to persist stage')) events.push({ kind: 'persist' });
      const syncDone = /^# SyncDone control refreshDeletes=(\d)/.exec(line);
      if (syncDone) {
        done = { kind: 'done', refreshDeletes: syncDone[1] === '1' };
        events.push(done);
      }
      const result = /^result: (\d+)/.exec(line);
      if (result) events.push({ kind: 'result', code: Number(result[1]) });
    }
  }
  return events;
}

/** Options of {@link startLiveSearch}: a search's (ldap-tools) and the live control. */
export interface LiveSearchOptions extends Pick<SearchOptions, 'base' | 'scope' | 'filter' | 'attrs' | keyof ConnectOptions> {
  /** The `-E` control, e.g. `!sync=rp`, `!sync=ro/COOKIE`, `!ps=15/1/1`. */
  control: string;
}

/** A running ldapsearch. */
export interface LiveSearch extends LiveProcess {
  /** The events printed so far (complete blocks only). */
  events(): LiveEvent[];
  /** Resolves with the events once `until` holds for them; rejects with the output at the deadline or exit. */
  waitForEvents(until: (events: LiveEvent[]) => boolean, timeoutMs?: number, what?: string): Promise<LiveEvent[]>;
}

/**
 * The whole blocks of ldapsearch's output. ldapsearch starts each record with a blank line,
 * so the last one is followed by nothing until the next: it counts once the output has
 * paused (or ended).
 */
function completeBlocks(out: string, whole: boolean): string {
  return whole ? out : out.slice(0, out.lastIndexOf('\n\n') + 1);
}

/** Starts `ldapsearch -o ldif-wrap=no ... -E CONTROL` and reads its output as it comes. */
export function startLiveSearch(url: string, options: LiveSearchOptions): LiveSearch {
  const args = ['-o', 'ldif-wrap=no', ...connectArgs(url, options), '-b', options.base, '-s', options.scope ?? 'sub', '-E', options.control, options.filter ?? '(objectClass=*)', ...(options.attrs ?? [])];
  const live = startLiveProcess('ldapsearch', args, { LDAPNOINIT: '1' });
  const events = (): LiveEvent[] => parseLiveOutput(completeBlocks(live.stdout(), live.ended() || live.quiet()));
  return {
    ...live,
    events,
    waitForEvents: (until, timeoutMs, what) =>
      live.waitFor((out) => {
        const now = parseLiveOutput(completeBlocks(out, live.ended() || live.quiet()));
        return until(now) ? now : undefined;
      }, timeoutMs, what),
  };
}

/** What a client that applied the events holds: entries by DN (their printed attributes). */
export function clientView(events: readonly LiveEvent[]): Map<string, Record<string, string[]>> {
  const view = new Map<string, Record<string, string[]>>();
  const dnOf = new Map<string, string>();
  for (const event of events) {
    if (event.kind === 'entry') {
      if (event.uuid) dnOf.set(event.uuid, event.dn);
      if (event.state === 'deleted' || event.change === 'delete') view.delete(event.dn);
      else if (event.state !== 'present' || !view.has(event.dn)) view.set(event.dn, event.attrs);
    } else if (event.kind === 'info' && event.info === 'sync id set' && event.refreshDeletes) {
      for (const uuid of event.uuids) {
        const dn = dnOf.get(uuid);
        if (dn !== undefined) view.delete(dn);
      }
    }
  }
  return view;
}
