-- The multicast groups each stored conference uses, so that clash detection reads only the
-- conferences sharing a group with the one written, not every conference overlapping it in
-- time (a permanent conference overlaps them all). Filled from the conference blob by the
-- code (src/store/conference-groups.ts): parsing SDP is beyond SQL.
--
-- Addresses are 32 lower-case hex digits for both families (IPv6 is 128 bit, too wide for an
-- INTEGER): fixed width, so text order is numeric order and an index can range over them.
-- A group is lo..hi; `bits` is its size class, the bit length of hi - lo, so hi - lo < 2^bits.
-- Groups of this family overlapping [L, H] (lo <= H AND hi >= L) are then, in each size
-- class present, the index range lo BETWEEN L - (2^bits - 1) AND H narrowed by hi >= L:
-- the lower bound is tight up to one group size, whatever the largest group (IPv4 groups may
-- span 2^28 addresses, so no fixed maximum size would bound the range usefully).
CREATE TABLE conference_groups (
  entry_id INTEGER NOT NULL,             -- entries.id
  family   INTEGER NOT NULL,             -- 4 or 6
  bits     INTEGER NOT NULL,             -- size class: bit length of hi - lo
  lo       TEXT    NOT NULL,             -- first address, 32 lower-case hex digits
  hi       TEXT    NOT NULL,             -- last address, likewise
  PRIMARY KEY (entry_id, family, lo, hi)
) WITHOUT ROWID;
CREATE INDEX conference_groups_lookup ON conference_groups(family, bits, lo, hi);
-- A trigger rather than a foreign key, like 004's: it holds for every connection, whatever
-- its foreign_keys setting.
CREATE TRIGGER entries_groups_delete AFTER DELETE ON entries BEGIN
  DELETE FROM conference_groups WHERE entry_id = old.id;
END;

-- Startup work a migration leaves to the code because SQL cannot do it, by name: the server
-- does it once and deletes the row in the same transaction.
CREATE TABLE pending_backfills (name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO pending_backfills (name) VALUES ('conference_groups');
