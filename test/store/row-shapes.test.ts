/**
 * Migration 010 and its startup backfill on databases written in each older row shape: JSON
 * alone (a database from before migration 007, and entries with an empty value after it),
 * JSON beside the encoding (written by a store without a decoder), and the encoding alone.
 * The databases are built with the old migrations and the rows as the old store wrote them
 * (the content taken from a directory of today, so index rows, spans, groups and the
 * time-clustered copy are as a server made them). A real server then starts on each: every
 * entry is found whole by searches through the wire (all user attributes, selected ones, an
 * indexed lookup, a time window, a filter on an empty value), and, through the store, every
 * entry has its attributes as before, in the one shape.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spanOf } from '../../src/directory/index.js';
import { openDirectory } from '../../src/server/index.js';
import type { SqliteDatabase, StoredAttributes } from '../../src/store/index.js';
import { explain, LDAP, ldapsearch, type LdifEntry } from '../helpers/ldap-tools.js';
import { startServer } from '../helpers/server.js';
import { ALL_BYTES, at, DYNAMIC, generalizedTime, ntp } from '../ldap/fixtures/directory.js';
import { sdp } from '../sdp/helpers.js';
import { databaseAt } from './database-at.js';

const dir = mkdtempSync(join(tmpdir(), 'rendezvous-row-shapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How the old store kept an entry's attributes. */
type Shape = 'json' | 'both' | 'encoded';

/** The conferences and people of the test, by RDN, with the shape each gets in a database at version 9. */
const CONTENT: ReadonlyArray<{ rdn: string; shape: Shape }> = [
  { rdn: 'uid=json', shape: 'json' },
  { rdn: 'uid=both', shape: 'both' },
  { rdn: 'uid=encoded', shape: 'encoded' },
  { rdn: 'cn=empty@example.net', shape: 'json' },
  { rdn: 'cn=person@example.net', shape: 'encoded' },
];

const admin = { dn: 'cn=root', ndn: 'cn=root', admin: true, address: '127.0.0.1' };
const raw = (type: string, ...values: Array<string | Buffer>): { type: string; values: Buffer[] } => ({ type, values: values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v)) });

/** A conference from 10:00 to 11:00 on the fixtures' day, with a binary attribute and a non-ASCII value. */
function conference(uid: string): Array<{ type: string; values: Buffer[] }> {
  const blob = sdp('v=0', `o=- 1 1 IN IP4 h.example`, `s=${uid}`, 'c=IN IP4 239.255.1.1/1', `t=${ntp(at(20, 10))} ${ntp(at(20, 11))}`);
  return [raw('objectClass', 'rtConference'), raw('uid', uid), raw('conferenceBlob', blob), raw('ntSecurityDescriptor', ALL_BYTES), raw('attendees', 'Zoë Ångström', '会议')];
}

/** A person; `guid` may be empty (a legal IA5 value, which results leave out). */
function person(cn: string, guid: string): Array<{ type: string; values: Buffer[] }> {
  return [raw('objectClass', 'rtPerson'), raw('cn', cn), raw('sn', 'Person'), raw('guid', guid), raw('ntSecurityDescriptor', ALL_BYTES)];
}

/** What today's directory stores: every entry's stored attributes by normalised DN. */
let source: string;
let truth: Map<string, StoredAttributes>;

beforeAll(() => {
  source = join(dir, 'source.db');
  const d = openDirectory({ db: source, suffix: 'o=Intranet', ilsOpen: false, version: 't' });
  for (const uid of ['json', 'both', 'encoded']) d.directory.add(admin, `uid=${uid},${DYNAMIC}`, conference(uid));
  d.directory.add(admin, `cn=empty@example.net,${DYNAMIC}`, person('empty@example.net', ''));
  d.directory.add(admin, `cn=person@example.net,${DYNAMIC}`, person('person@example.net', '0123abcd'));
  // The time-clustered copy, as a running server makes it.
  while (d.entries.copyWindows(1000, spanOf) === 1000) continue;
  truth = new Map((d.db.prepare('SELECT ndn FROM entries').pluck().all() as string[]).map((ndn) => [ndn, d.entries.get(ndn)!.attributes]));
  expect(truth.size).toBe(CONTENT.length + 3); // with the suffix and its containers ou=dynamic and ou=applications
  d.db.pragma('wal_checkpoint(TRUNCATE)');
  d.db.close();
});

/**
 * The source's content in a database at `version`, each entry's row in the shape `shapeOf`
 * gives (the tree entries: JSON): as the store of that version wrote it. Before migration
 * 007 there is no encoding; before 009 no time-clustered copy, whose rows held an encoding
 * only for entries stored as the encoding alone.
 */
function oldDatabase(name: string, version: number, shapeOf: (ndn: string) => Shape): string {
  const path = join(dir, name);
  databaseAt(path, version);
  const db = new Database(path);
  try {
    db.exec(`ATTACH '${source}' AS s`);
    const rows = db.prepare('SELECT id, dn, ndn, parent, path, creator, modifier, created_at, modified_at, uuid, expires_at, ends_at, encoded FROM s.entries ORDER BY id').all() as Array<Record<string, unknown> & { ndn: string; encoded: Buffer }>;
    const encoded = version >= 7;
    const insert = db.prepare(
      `INSERT INTO entries (id, dn, ndn, parent, path, attributes, creator, modifier, created_at, modified_at, uuid, expires_at, ends_at${encoded ? ', encoded' : ''})
       VALUES (@id, @dn, @ndn, @parent, @path, @attributes, @creator, @modifier, @created_at, @modified_at, @uuid, @expires_at, @ends_at${encoded ? ', @encoded' : ''})`,
    );
    for (const row of rows) {
      const shape = shapeOf(row.ndn);
      const json = JSON.stringify(truth.get(row.ndn));
      insert.run({ ...row, attributes: shape === 'encoded' ? '' : json, encoded: shape === 'json' ? null : row.encoded });
    }
    db.exec('INSERT INTO entry_index SELECT * FROM s.entry_index; INSERT INTO conference_spans SELECT * FROM s.conference_spans; INSERT INTO conference_groups SELECT * FROM s.conference_groups');
    db.exec("DELETE FROM pending_backfills WHERE name = 'conference_groups'");
    if (version >= 9) {
      db.exec('INSERT INTO conference_windows SELECT * FROM s.conference_windows; INSERT INTO conference_window_classes SELECT * FROM s.conference_window_classes');
      db.exec('UPDATE conference_windows_copied SET upto = (SELECT upto FROM s.conference_windows_copied)');
      db.exec("UPDATE conference_windows SET encoded = NULL WHERE id IN (SELECT id FROM entries WHERE attributes <> '')");
      expect(db.prepare('SELECT count(*) FROM conference_windows').pluck().get()).toBe(3);
    }
  } finally {
    db.close();
  }
  return path;
}

/** An entry as comparable text: every attribute line, names lower-cased, values in base64, sorted. */
const text = (e: LdifEntry): string[] => e.lines.map((l) => `${l.name.toLowerCase()}: ${l.value.toString('base64')}`).sort();

/** What a search for all user attributes returns of stored attributes: the non-empty values. */
function expected(attributes: StoredAttributes): string[] {
  const binary = new Set(['ntsecuritydescriptor', 'conferenceblob']);
  return Object.entries(attributes)
    .flatMap(([key, values]) => values.filter((v) => v !== '').map((v) => `${key}: ${Buffer.from(v, binary.has(key) ? 'latin1' : 'utf8').toString('base64')}`))
    .sort();
}

/** Starts a server on the database at `path`, checks every entry through searches on the wire, and stops it. */
async function checkThroughTheWire(path: string): Promise<void> {
  // The last --db wins: the server opens this database, not the helper's fresh one.
  const server = await startServer({ args: ['--db', path] });
  try {
    expect(server.logs()).toContain(`database ${path}`);
    const find = async (filter: string, attrs: string[] = []): Promise<LdifEntry[]> => {
      const r = await ldapsearch(server.url, { base: DYNAMIC, scope: 'one', filter, attrs });
      expect(r.code, explain(r)).toBe(LDAP.success);
      return r.entries;
    };
    const all = await find('(objectClass=*)');
    expect(all.map((e) => e.dn.toLowerCase()).sort()).toEqual(CONTENT.map((c) => `${c.rdn},${DYNAMIC}`.toLowerCase()).sort());
    for (const entry of all) expect(text(entry), entry.dn).toEqual(expected(truth.get(entry.dn.toLowerCase())!));
    for (const { rdn } of CONTENT) {
      // An indexed equality lookup (answered by the index alone), and a selection.
      const [found] = await find(`(${rdn})`);
      expect(text(found!), rdn).toEqual(expected(truth.get(`${rdn},${DYNAMIC}`.toLowerCase())!));
      const [named] = await find(`(${rdn})`, ['ntSecurityDescriptor']);
      expect(named!.lines.map((l) => l.value), rdn).toEqual([ALL_BYTES]);
    }
    const window = `(&(objectClass=rtConference)(startTime<=${generalizedTime(at(20, 10, 30))})(stopTime>=${generalizedTime(at(20, 10, 15))}))`;
    expect((await find(window)).map((e) => e.get('uid')[0]).sort()).toEqual(['both', 'encoded', 'json']);
    expect((await find('(attendees=*ngstr*)')).map((e) => e.get('uid')[0]).sort()).toEqual(['both', 'encoded', 'json']);
    // The empty value is kept: filters match it, results leave it out.
    for (const filter of ['(&(cn=empty@example.net)(guid=))', '(&(objectClass=rtPerson)(guid=*))']) {
      const found = await find(filter);
      expect(found.map((e) => e.dn.split(',')[0]).sort(), filter).toEqual(filter.includes('guid=*') ? ['cn=empty@example.net', 'cn=person@example.net'] : ['cn=empty@example.net']);
      expect(found.find((e) => e.dn.startsWith('cn=empty'))!.has('guid')).toBe(false);
    }
  } finally {
    await server.stop();
  }
}

/** Opens the converted database in-process: every entry's attributes through the store, and the rows in the one shape. */
function checkThroughTheStore(path: string, windows: boolean): void {
  const { db, entries } = openDirectory({ db: path, suffix: 'o=Intranet', ilsOpen: false, version: 't' });
  try {
    for (const [ndn, attributes] of truth) expect(entries.get(ndn)?.attributes, ndn).toEqual(attributes);
    expect(columnsOf(db, 'entries')).not.toContain('attributes');
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'entry_json'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT name FROM pending_backfills').pluck().all()).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM entries WHERE encoded IS NULL').pluck().get()).toBe(0);
    // Only the entry with an empty value is not what a result sends.
    expect(db.prepare('SELECT ndn FROM entries WHERE sendable = 0').pluck().all()).toEqual([`cn=empty@example.net,${DYNAMIC}`.toLowerCase()]);
    if (windows) {
      // Every conference's copy has the bytes a time-window search sends.
      expect(db.prepare('SELECT count(*) FROM conference_windows AS w JOIN entries AS e ON e.id = w.id WHERE w.encoded = e.encoded').pluck().get()).toBe(3);
    }
  } finally {
    db.close();
  }
}

const columnsOf = (db: SqliteDatabase, table: string): string[] => db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];

describe('migration 010: one row shape', () => {
  it('converts a database from before migration 007, every row JSON alone', async () => {
    const path = oldDatabase('v6.db', 6, () => 'json');
    const db = new Database(path, { readonly: true });
    expect(columnsOf(db, 'entries')).not.toContain('encoded');
    db.close();
    await checkThroughTheWire(path);
    checkThroughTheStore(path, false);
  });

  it('converts a database at migration 009 with rows of all three shapes, and their time-clustered copies', async () => {
    const shapes = new Map(CONTENT.map((c) => [`${c.rdn},${DYNAMIC}`.toLowerCase(), c.shape]));
    const path = oldDatabase('v9.db', 9, (ndn) => shapes.get(ndn) ?? 'json');
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM entries WHERE attributes = '' AND encoded IS NOT NULL").pluck().get()).toBe(2);
    expect(db.prepare("SELECT count(*) FROM entries WHERE attributes <> '' AND encoded IS NOT NULL").pluck().get()).toBe(1);
    db.close();
    const copy = join(dir, 'v9-in-process.db');
    copyFileSync(path, copy);
    await checkThroughTheWire(path);
    checkThroughTheStore(path, true);
    // Converted by an in-process directory instead of a server: the same.
    checkThroughTheStore(copy, true);
  });
});
