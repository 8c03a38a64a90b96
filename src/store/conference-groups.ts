/**
 * The multicast groups of stored conferences (schema/005-conference-groups.sql), so that clash
 * detection looks conferences up by group instead of reading every one that overlaps in time.
 */
import { backfillConferences } from './backfill.js';
import type { SqliteDatabase } from './database.js';
import type { Span } from './entry.js';

/** A multicast group: the consecutive addresses `lo`..`hi` of a family, as numbers. */
export interface GroupRange {
  readonly family: 'ipv4' | 'ipv6';
  readonly lo: bigint;
  readonly hi: bigint;
}

/** The `family` column. */
const FAMILY: Readonly<Record<GroupRange['family'], number>> = { ipv4: 4, ipv6: 6 };

/** An address as the table stores it: fixed-width hex, whose text order is numeric order. */
const hex = (value: bigint): string => value.toString(16).padStart(32, '0');

/** The size class of a group: the bit length of hi - lo, so that hi - lo < 2^bits. */
const sizeClass = (g: GroupRange): number => (g.hi === g.lo ? 0 : (g.hi - g.lo).toString(2).length);

/**
 * The size classes known to be present, by family, for each database connection: a superset of
 * those in the table (a class whose last group was deleted, or whose insert was rolled back,
 * stays; its lookup finds nothing), so the answers are those of the table. Reading them for
 * every write was a recursive query per clash check (5% of the writing process's time at
 * 500 writes/s); the groups this connection writes are added as they are written
 * ({@link ConferenceGroups.put}), and a commit by another connection (`PRAGMA data_version`
 * changes) makes them read again. Per connection, not per object: several objects may write
 * through one connection.
 */
interface KnownClasses {
  /** `data_version` when they were read. */
  version: number;
  byFamily: Map<number, Set<number>>;
}

const knownClasses = new WeakMap<SqliteDatabase, KnownClasses>();

/** The parameters of the overlap query for one group and one size class. */
function overlapParams(g: GroupRange, bits: number, span: Span): Record<string, string | number> {
  // A group of this class overlapping g ends at or after g.lo and is shorter than 2^bits, so it
  // starts after g.lo - 2^bits: a bounded index range on lo.
  const from = g.lo - (1n << BigInt(bits)) + 1n;
  return { family: FAMILY[g.family], bits, from: hex(from < 0n ? 0n : from), lo: hex(g.lo), hi: hex(g.hi), spanLo: span[0], spanHi: span[1] };
}

/** The conference_groups table: kept by the entry store's writes, read by clash detection. */
export class ConferenceGroups {
  readonly #db: SqliteDatabase;
  readonly #delete;
  readonly #insert;
  readonly #classes;
  readonly #dataVersion;
  readonly #overlapping;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#delete = db.prepare('DELETE FROM conference_groups WHERE entry_id = ?');
    // OR IGNORE: two media of one conference may share a group.
    this.#insert = db.prepare('INSERT OR IGNORE INTO conference_groups (entry_id, family, bits, lo, hi) VALUES (?, ?, ?, ?, ?)');
    // The size classes present, by a loose index scan: one seek per class, however many rows.
    this.#classes = db
      .prepare<{ family: number }, number>(
        `WITH RECURSIVE classes(bits) AS (
           SELECT (SELECT min(bits) FROM conference_groups WHERE family = @family)
           UNION ALL
           SELECT (SELECT min(bits) FROM conference_groups WHERE family = @family AND bits > classes.bits) FROM classes WHERE bits IS NOT NULL
         )
         SELECT bits FROM classes WHERE bits IS NOT NULL`,
      )
      .pluck();
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    // The time span check prunes conferences that reuse the group at other times before their
    // rows are read; the R*Tree rounds outwards, so it never loses one.
    this.#overlapping = db
      .prepare<Record<string, string | number>, number>(
        `SELECT entry_id FROM conference_groups AS g
         WHERE family = @family AND bits = @bits AND lo BETWEEN @from AND @hi AND hi >= @lo
           AND EXISTS (SELECT 1 FROM conference_spans AS s WHERE s.id = g.entry_id AND s.lo <= @spanHi AND s.hi >= @spanLo)`,
      )
      .pluck();
  }

  /** Replaces the groups of entry `id` (none: removes them). */
  put(id: number, groups: readonly GroupRange[]): void {
    this.#delete.run(id);
    const known = knownClasses.get(this.#db);
    for (const g of groups) {
      const family = FAMILY[g.family];
      const bits = sizeClass(g);
      this.#insert.run(id, family, bits, hex(g.lo), hex(g.hi));
      // A family not read yet reads this row with the others (the connection sees its own writes).
      known?.byFamily.get(family)?.add(bits);
    }
  }

  /** The size classes known by family ({@link KnownClasses}), read again after another connection's commit. */
  #known(): KnownClasses {
    const version = this.#dataVersion.get()!;
    let known = knownClasses.get(this.#db);
    if (known?.version !== version) knownClasses.set(this.#db, (known = { version, byFamily: new Map() }));
    return known;
  }

  /**
   * Ids, ascending, of the entries holding an address of one of `groups` with a time span
   * overlapping `span` (seconds, as in the span table). Expired entries are included: the
   * caller reads live rows only, and checks the times exactly.
   */
  candidates(groups: readonly GroupRange[], span: Span): number[] {
    const ids = new Set<number>();
    const known = this.#known();
    for (const g of groups) {
      const family = FAMILY[g.family];
      let present = known.byFamily.get(family);
      if (!present) known.byFamily.set(family, (present = new Set(this.#classes.all({ family }))));
      for (const bits of present) for (const id of this.#overlapping.all(overlapParams(g, bits, span))) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  /**
   * Fills the table for a database written before it existed (migration 005 leaves a row in
   * pending_backfills); a no-op once done. `groupsOf` gets each conference's id and encoding.
   */
  backfill(groupsOf: (id: number, encoded: Buffer) => readonly GroupRange[]): void {
    backfillConferences(this.#db, 'conference_groups', (id, encoded) => this.put(id, groupsOf(id, encoded)));
  }

  /** SQLite's plans for the lookup of one group, so tests can prove it uses the index. */
  explain(group: GroupRange, span: Span): string[] {
    const plan = (statement: { source: string }, params: Record<string, string | number>): string[] =>
      (this.#db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
    return [...plan(this.#classes, { family: FAMILY[group.family] }), ...plan(this.#overlapping, overlapParams(group, sizeClass(group), span))];
  }
}
