/**
 * The consumer's side of RFC 4533 content synchronisation, free of I/O: what the messages of
 * a refreshAndPersist search mean for someone watching conferences and users. It turns Sync
 * State entries, Sync Info messages and the final Sync Done into {@link WatchEvent}s, keeps
 * the cookie to resume from, and keeps the entryUUIDs it has reported (with their DN and
 * name), because RFC 4533 does not always say what was deleted:
 *
 * - a present phase (the server could not tell what changed since the cookie: it sends
 *   unchanged entries as `present`, without attributes, and ends with refreshPresent or
 *   refreshDeletes FALSE) means "whatever you hold that I did not mention is gone" (§3.4.1);
 * - a refresh without a cookie sends every entry, so the same holds for it;
 * - a syncIdSet of deletes names entries by UUID only.
 *
 * So each reported entry not mentioned in such a refresh is reported `deleted`, and deletes
 * by UUID carry the DN and name reported before.
 */
import { type SyncDoneValue, type SyncInfo, type SyncStateValue, type ResultEntry } from '../protocol/index.js';
import { Conference, CONFERENCE_SCHEMA } from './conference.js';
import { EntryReader } from './entry.js';
import type { DirectoryObjectType } from './object.js';
import { User, USER_SCHEMA } from './user.js';


/** A conference or user added or changed; `cookie` resumes after it. */
export type ObjectChange = { kind: 'added' | 'modified'; dn: string; uuid: string; cookie: string | undefined } & (
  | { type: 'conference'; object: Conference }
  | { type: 'user'; object: User }
);

/**
 * What {@link Directory.watch} yields.
 *
 * - `added`, `modified`: the object as it is now, built as `enumerate` builds it.
 * - `deleted`: the entry was deleted, expired, or no longer matches the watch. `dn`, `type`
 *   and `name` are those reported before by this watch, or the server's DN; an entry deleted
 *   by UUID that this watch never reported has neither (it was seen by an earlier watch that
 *   the cookie resumes).
 * - `present`: during the refresh of a watch resumed from a cookie, an entry unchanged since
 *   that cookie (the server sends no attributes for it).
 * - `synced`: the initial content is complete; what follows are live changes. With
 *   `fullRefresh`, the server could not send only the changes since the cookie: it sent
 *   every entry (as added, modified or present), and anything a caller holds from before
 *   this watch that was not mentioned since the watch started is gone (entries this watch
 *   reported are reported deleted already).
 * - `cookie`: the server moved the cookie on without a change to report.
 */
export type WatchEvent =
  | ObjectChange
  | { kind: 'deleted'; dn: string | undefined; uuid: string; type: DirectoryObjectType | undefined; name: string | undefined; cookie: string | undefined }
  | { kind: 'present'; dn: string | undefined; uuid: string; cookie: string | undefined }
  | { kind: 'synced'; fullRefresh: boolean; cookie: string | undefined }
  | { kind: 'cookie'; cookie: string };

/** What the consumer remembers of an entry it reported. */
interface Reported {
  dn: string | undefined;
  type: DirectoryObjectType | undefined;
  name: string | undefined;
}

/** Cookies are opaque bytes (RFC 4533 §2.1.1); as text, one character per byte, so any cookie round-trips. */
export const cookieText = (bytes: Buffer): string => bytes.toString('latin1');
export const cookieBytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** The attributes a watch asks for: those `enumerate` reads for both classes, and the class. */
export const WATCH_ATTRIBUTES: readonly string[] = [...new Set(['objectClass', ...CONFERENCE_SCHEMA.attributes, ...USER_SCHEMA.attributes])];
const BINARY = [...CONFERENCE_SCHEMA.binaryAttributes, ...USER_SCHEMA.binaryAttributes];

/** The state of one watch across the searches it makes (one, plus one per restart). */
export class SyncConsumer {
  readonly #reported = new Map<string, Reported>();
  /** Entries mentioned in the refresh under way, when it may imply deletes; undefined once persisting. */
  #mentioned: Set<string> | undefined;
  /** Whether the refresh under way started without a cookie (so it lists everything). */
  #fromNothing = false;
  #presentPhase = false;
  /** Whether the refresh under way implied deletes (it is a full refresh). */
  #full = false;
  #cookie: string | undefined;
  readonly #onInvalid: (dn: string, error: Error) => void;

  constructor(cookie: string | undefined, onInvalid: (dn: string, error: Error) => void = () => undefined) {
    this.#cookie = cookie;
    this.#onInvalid = onInvalid;
  }

  /** The cookie to resume from: the last one the server sent, or the one the watch started with. */
  get cookie(): string | undefined {
    return this.#cookie;
  }

  /** How many entries the watch has reported and not deleted. */
  get size(): number {
    return this.#reported.size;
  }

  /** A search starts (the first, or a restart after e-syncRefreshRequired), with `cookie` or from nothing. */
  startRefresh(cookie: string | undefined): void {
    this.#mentioned = new Set();
    this.#fromNothing = cookie === undefined;
    this.#presentPhase = false;
    this.#full = false;
  }

  /** The server ended a search with e-syncRefreshRequired, with a new cookie or none. */
  refreshRequired(cookie: Buffer | undefined): void {
    if (cookie) this.#cookie = cookieText(cookie);
  }

  /** Forgets the cookie, so that the next search starts from nothing (the server refused the cookie). */
  forgetCookie(): void {
    this.#cookie = undefined;
  }

  /** A SearchResultEntry with its Sync State control. */
  entry(entry: ResultEntry, state: SyncStateValue): WatchEvent[] {
    if (state.cookie) this.#cookie = cookieText(state.cookie);
    const { uuid } = state;
    const known = this.#reported.get(uuid);
    if (state.state === 'delete') {
      this.#reported.delete(uuid);
      return [{ kind: 'deleted', dn: known?.dn ?? (entry.dn || undefined), uuid, type: known?.type, name: known?.name, cookie: this.#cookie }];
    }
    this.#mentioned?.add(uuid);
    if (state.state === 'present') {
      this.#presentPhase = true;
      if (known) return [];
      this.#reported.set(uuid, { dn: entry.dn || undefined, type: undefined, name: undefined });
      return [{ kind: 'present', dn: entry.dn || undefined, uuid, cookie: this.#cookie }];
    }
    const reader = EntryReader.fromAttributes(entry.dn, entry.attributes, BINARY);
    const type = typeOf(reader);
    if (type === undefined) return [];
    let change: ObjectChange;
    // Known only as present (no attributes yet): reported as added when its content arrives.
    const kind = known?.type !== undefined || state.state === 'modify' ? 'modified' : 'added';
    try {
      change =
        type === 'conference'
          ? { kind, dn: entry.dn, uuid, cookie: this.#cookie, type, object: Conference.fromEntry(reader) }
          : { kind, dn: entry.dn, uuid, cookie: this.#cookie, type, object: User.fromEntry(reader) };
    } catch (error) {
      this.#onInvalid(entry.dn, error as Error);
      return [];
    }
    this.#reported.set(uuid, { dn: entry.dn, type, name: change.object.name });
    return [change];
  }

  /** A Sync Info intermediate response. */
  info(info: SyncInfo): WatchEvent[] {
    if (info.cookie) this.#cookie = cookieText(info.cookie);
    switch (info.type) {
      case 'newcookie':
        return [{ kind: 'cookie', cookie: this.#cookie! }];
      case 'syncIdSet': {
        if (info.refreshDeletes) return info.uuids.flatMap((uuid) => this.#deleted(uuid));
        this.#presentPhase = true;
        const events: WatchEvent[] = [];
        for (const uuid of info.uuids) {
          this.#mentioned?.add(uuid);
          if (this.#reported.has(uuid)) continue;
          this.#reported.set(uuid, { dn: undefined, type: undefined, name: undefined });
          events.push({ kind: 'present', dn: undefined, uuid, cookie: this.#cookie });
        }
        return events;
      }
      case 'refreshPresent':
        this.#presentPhase = true;
        return this.#phaseEnd(info.refreshDone);
      case 'refreshDelete':
        return this.#phaseEnd(info.refreshDone);
    }
  }

  /** The Sync Done control of the search's final result (a refresh that the server ended). */
  done(done: SyncDoneValue): WatchEvent[] {
    if (done.cookie) this.#cookie = cookieText(done.cookie);
    if (this.#mentioned === undefined) return [];
    if (!done.refreshDeletes) this.#presentPhase = true;
    return this.#phaseEnd(true);
  }

  /**
   * The end of a refresh phase: after a present phase or a refresh from nothing, what was
   * reported and not mentioned is deleted. With `refreshDone`, the refresh is over.
   */
  #phaseEnd(refreshDone: boolean): WatchEvent[] {
    const events: WatchEvent[] = [];
    const mentioned = this.#mentioned;
    const implied = mentioned !== undefined && (this.#presentPhase || this.#fromNothing);
    if (implied) for (const uuid of [...this.#reported.keys()]) if (!mentioned.has(uuid)) events.push(...this.#deleted(uuid));
    this.#full ||= implied;
    this.#presentPhase = false;
    this.#fromNothing = false;
    if (!refreshDone) {
      // A delete phase may follow a present phase (§3.4.2): it names its deletes.
      this.#mentioned = new Set();
      return events;
    }
    events.push({ kind: 'synced', fullRefresh: this.#full, cookie: this.#cookie });
    this.#mentioned = undefined;
    return events;
  }

  #deleted(uuid: string): WatchEvent[] {
    const known = this.#reported.get(uuid);
    this.#reported.delete(uuid);
    return [{ kind: 'deleted', dn: known?.dn, uuid, type: known?.type, name: known?.name, cookie: this.#cookie }];
  }
}

/** Conference or user, by the entry's object classes; undefined for anything else. */
function typeOf(entry: EntryReader): DirectoryObjectType | undefined {
  const classes = entry.texts('objectClass').map((c) => c.toLowerCase());
  if (classes.includes(CONFERENCE_SCHEMA.objectClass.toLowerCase())) return 'conference';
  if (classes.includes(USER_SCHEMA.objectClass.toLowerCase())) return 'user';
  return undefined;
}
