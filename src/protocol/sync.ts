/**
 * The values of the live-update controls, read and written by the server and the client
 * alike: RFC 4533 content synchronisation (Sync Request, Sync State, Sync Info, Sync Done),
 * the persistent search control and its Entry Change Notification
 * (draft-ietf-ldapext-psearch-03 §4, §5), and the cancel request (RFC 3909 §2). entryUUIDs
 * travel as their 16 bytes (RFC 4530 §3); in memory they are the text form.
 */
import { BerError, BerReader, boolean, integer, octets, tlv } from './ber.js';

/** Sync Request modes (RFC 4533 §2.2). */
export type SyncMode = 'refreshOnly' | 'refreshAndPersist';

/** A Sync Request control's value. */
export interface SyncRequest {
  mode: SyncMode;
  cookie?: Buffer;
  reloadHint: boolean;
}

const MODE_CODE: Readonly<Record<SyncMode, number>> = { refreshOnly: 1, refreshAndPersist: 3 };

/** `SEQUENCE { mode ENUMERATED, cookie syncCookie OPTIONAL, reloadHint BOOLEAN DEFAULT FALSE }` */
export function encodeSyncRequest(request: SyncRequest): Buffer {
  return tlv(0x30, integer(MODE_CODE[request.mode], 0x0a), ...(request.cookie ? [octets(request.cookie)] : []), ...(request.reloadHint ? [boolean(true)] : []));
}

export function decodeSyncRequest(value: Buffer | undefined): SyncRequest {
  if (!value) throw new BerError('sync request control without a value');
  const r = new BerReader(value).enter(0x30);
  const code = r.integer(0x0a);
  const mode = code === 1 ? 'refreshOnly' : code === 3 ? 'refreshAndPersist' : undefined;
  if (!mode) throw new BerError(`sync request mode ${code} is not refreshOnly (1) or refreshAndPersist (3)`);
  const request: SyncRequest = { mode, reloadHint: false };
  if (r.peek() === 0x04) request.cookie = Buffer.from(r.bytes(0x04));
  if (r.peek() === 0x01) request.reloadHint = r.boolean();
  if (!r.done) throw new BerError('trailing data in the sync request control');
  return request;
}

/** Sync State values (RFC 4533 §2.3). */
export type SyncState = 'present' | 'add' | 'modify' | 'delete';
const STATE_CODE: Readonly<Record<SyncState, number>> = { present: 0, add: 1, modify: 2, delete: 3 };
const STATE_OF: readonly SyncState[] = ['present', 'add', 'modify', 'delete'];

/** The 16 bytes of a UUID's text form. */
export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new BerError(`'${uuid}' is not a UUID`);
  return Buffer.from(hex, 'hex');
}

/** The text form of a UUID's 16 bytes. */
export function uuidText(bytes: Buffer): string {
  if (bytes.length !== 16) throw new BerError(`a syncUUID has 16 bytes, not ${bytes.length}`);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A Sync State control's value. */
export interface SyncStateValue {
  state: SyncState;
  uuid: string;
  cookie?: Buffer;
}

/** `SEQUENCE { state ENUMERATED, entryUUID syncUUID, cookie syncCookie OPTIONAL }` */
export function encodeSyncState(value: SyncStateValue): Buffer {
  return tlv(0x30, integer(STATE_CODE[value.state], 0x0a), octets(uuidBytes(value.uuid)), ...(value.cookie ? [octets(value.cookie)] : []));
}

export function decodeSyncState(value: Buffer | undefined): SyncStateValue {
  if (!value) throw new BerError('sync state control without a value');
  const r = new BerReader(value).enter(0x30);
  const state = STATE_OF[r.integer(0x0a)];
  if (!state) throw new BerError('unknown sync state');
  const out: SyncStateValue = { state, uuid: uuidText(r.bytes(0x04)) };
  if (r.peek() === 0x04) out.cookie = Buffer.from(r.bytes(0x04));
  return out;
}

/** A Sync Done control's value: `SEQUENCE { cookie syncCookie OPTIONAL, refreshDeletes BOOLEAN DEFAULT FALSE }`. */
export interface SyncDoneValue {
  cookie?: Buffer;
  refreshDeletes: boolean;
}

export function encodeSyncDone(value: SyncDoneValue): Buffer {
  return tlv(0x30, ...(value.cookie ? [octets(value.cookie)] : []), ...(value.refreshDeletes ? [boolean(true)] : []));
}

export function decodeSyncDone(value: Buffer | undefined): SyncDoneValue {
  const out: SyncDoneValue = { refreshDeletes: false };
  if (!value) return out;
  const r = new BerReader(value).enter(0x30);
  if (r.peek() === 0x04) out.cookie = Buffer.from(r.bytes(0x04));
  if (r.peek() === 0x01) out.refreshDeletes = r.boolean();
  return out;
}

/** A Sync Info message's value (RFC 4533 §2.5), the CHOICE by its tag. */
export type SyncInfo =
  | { type: 'newcookie'; cookie: Buffer }
  | { type: 'refreshDelete' | 'refreshPresent'; cookie?: Buffer; refreshDone: boolean }
  | { type: 'syncIdSet'; cookie?: Buffer; refreshDeletes: boolean; uuids: string[] };

export function encodeSyncInfo(info: SyncInfo): Buffer {
  const cookie = (c: Buffer | undefined): Buffer[] => (c ? [octets(c)] : []);
  switch (info.type) {
    case 'newcookie':
      return octets(info.cookie, 0x80);
    case 'refreshDelete':
    case 'refreshPresent':
      // refreshDone BOOLEAN DEFAULT TRUE: written only when false.
      return tlv(info.type === 'refreshDelete' ? 0xa1 : 0xa2, ...cookie(info.cookie), ...(info.refreshDone ? [] : [boolean(false)]));
    case 'syncIdSet':
      return tlv(0xa3, ...cookie(info.cookie), ...(info.refreshDeletes ? [boolean(true)] : []), tlv(0x31, ...info.uuids.map((u) => octets(uuidBytes(u)))));
  }
}

export function decodeSyncInfo(value: Buffer | undefined): SyncInfo {
  if (!value) throw new BerError('sync info message without a value');
  const outer = new BerReader(value);
  const tag = outer.peek();
  if (tag === 0x80) return { type: 'newcookie', cookie: Buffer.from(outer.bytes(0x80)) };
  if (tag !== 0xa1 && tag !== 0xa2 && tag !== 0xa3) throw new BerError(`unknown sync info choice 0x${(tag ?? 0).toString(16)}`);
  const r = outer.enter(tag);
  const cookie = r.peek() === 0x04 ? Buffer.from(r.bytes(0x04)) : undefined;
  if (tag === 0xa3) {
    const refreshDeletes = r.peek() === 0x01 ? r.boolean() : false;
    const set = r.enter(0x31);
    const uuids: string[] = [];
    while (!set.done) uuids.push(uuidText(set.bytes(0x04)));
    return { type: 'syncIdSet', ...(cookie ? { cookie } : {}), refreshDeletes, uuids };
  }
  const refreshDone = r.peek() === 0x01 ? r.boolean() : true;
  return { type: tag === 0xa1 ? 'refreshDelete' : 'refreshPresent', ...(cookie ? { cookie } : {}), refreshDone };
}

/** Persistent search change types (draft §4): a bit each. */
export const ChangeType = { add: 1, delete: 2, modify: 4, modDN: 8 } as const;

/** The persistent search control's value: `SEQUENCE { changeTypes INTEGER, changesOnly BOOLEAN, returnECs BOOLEAN }`. */
export interface PersistentSearch {
  changeTypes: number;
  changesOnly: boolean;
  returnECs: boolean;
}

export function encodePersistentSearch(value: PersistentSearch): Buffer {
  return tlv(0x30, integer(value.changeTypes), boolean(value.changesOnly), boolean(value.returnECs));
}

export function decodePersistentSearch(value: Buffer | undefined): PersistentSearch {
  if (!value) throw new BerError('persistent search control without a value');
  const r = new BerReader(value).enter(0x30);
  const changeTypes = r.integer();
  const changesOnly = r.boolean();
  const returnECs = r.boolean();
  if (changeTypes < 1 || changeTypes > 15) throw new BerError(`persistent search changeTypes ${changeTypes} is not a set of add (1), delete (2), modify (4), modDN (8)`);
  return { changeTypes, changesOnly, returnECs };
}

/** An Entry Change Notification's value: `SEQUENCE { changeType ENUMERATED, previousDN LDAPDN OPTIONAL, changeNumber INTEGER OPTIONAL }`. */
export interface EntryChangeNotification {
  changeType: number;
  previousDn?: string;
  changeNumber?: number;
}

export function encodeEntryChangeNotification(value: EntryChangeNotification): Buffer {
  return tlv(0x30, integer(value.changeType, 0x0a), ...(value.previousDn === undefined ? [] : [octets(value.previousDn)]), ...(value.changeNumber === undefined ? [] : [integer(value.changeNumber)]));
}

export function decodeEntryChangeNotification(value: Buffer | undefined): EntryChangeNotification {
  if (!value) throw new BerError('entry change notification without a value');
  const r = new BerReader(value).enter(0x30);
  const out: EntryChangeNotification = { changeType: r.integer(0x0a) };
  if (r.peek() === 0x04) out.previousDn = r.string();
  if (r.peek() === 0x02) out.changeNumber = r.integer();
  return out;
}

/** The cancel request's value: `SEQUENCE { cancelID MessageID }` (RFC 3909 §2.1). */
export function encodeCancelRequest(messageId: number): Buffer {
  return tlv(0x30, integer(messageId));
}

export function decodeCancelRequest(value: Buffer | undefined): number {
  if (!value) throw new BerError('cancel request without a value');
  const r = new BerReader(value).enter(0x30);
  const id = r.integer();
  if (!r.done) throw new BerError('trailing data in the cancel request');
  return id;
}
