-- The change log (issue: live updates and replication). Every change of an entry is a row
-- here, written in the transaction that makes it (src/directory/changes.ts): its sequence
-- number, its change sequence number (CSN, OpenLDAP's format
-- `YYYYmmddHHMMSS.ffffffZ#counter#sid#mod`, strictly increasing with seq), the entry's
-- entryUUID, what happened, the entry's DN and path (for the scope of a reader), and the
-- attributes the entry had before, for a modify that changed them and for a delete, so that a
-- reader can tell whether the entry matched its filter before. The log is bounded (the
-- server purges the oldest rows, keeping the newest); `sync_state.purged_csn` is the newest
-- CSN purged: the log covers a reader's cookie when the cookie's CSN is not older.
CREATE TABLE changes (
  seq     INTEGER PRIMARY KEY,
  csn     TEXT    NOT NULL,
  uuid    TEXT    NOT NULL,
  kind    INTEGER NOT NULL,           -- 1 add, 2 modify, 3 delete
  expired INTEGER NOT NULL DEFAULT 0, -- a delete of expiry (TTL lapsed, conference ended)
  dn      TEXT    NOT NULL,
  path    TEXT    NOT NULL,
  at      INTEGER NOT NULL,           -- ms since the Unix epoch
  before  BLOB                        -- the entry's attributes before (stored encoding), or NULL
);
CREATE UNIQUE INDEX changes_csn ON changes (csn);
-- What an entry was right after a change: the `before` of its next change that has one.
CREATE INDEX changes_uuid ON changes (uuid, seq);

-- What the log was at migration and what it has forgotten since. A database from before the
-- log: every entry gets the CSN of this moment (nothing can be replayed from before it).
CREATE TABLE sync_state (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  context_csn TEXT NOT NULL,  -- the suffix's contextCSN when the log is empty
  purged_csn  TEXT NOT NULL   -- the newest CSN no longer in the log
);
INSERT INTO sync_state (id, context_csn, purged_csn)
  VALUES (1, strftime('%Y%m%d%H%M%S', 'now') || '.000000Z#000000#000#000000', strftime('%Y%m%d%H%M%S', 'now') || '.000000Z#000000#000#000000');

ALTER TABLE entries ADD COLUMN csn TEXT NOT NULL DEFAULT '';
UPDATE entries SET csn = (SELECT context_csn FROM sync_state);
-- A sync reader finds the entry a change names by its entryUUID.
CREATE INDEX entries_uuid ON entries (uuid);
