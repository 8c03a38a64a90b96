-- Bounded conferences again, clustered by time, with what a search for all user attributes
-- sends of them, so that a time-window search reads a few consecutive pages instead of one
-- random page of `entries` per conference (66 random pages per one-hour window at 1,000,000
-- conferences, most of the search's time). A copy, never the source: `entries` stays what is
-- stored. The one writing process fills it in entry order while no write is waiting (each
-- row inserted at a random place costs an add a third of its rate, measured), up to the
-- watermark in conference_windows_copied; searches read the copy up to the watermark and
-- `entries` (through the span index) above it. Writes to entries at or below the watermark
-- keep their copies in step (src/store/conference-windows.ts).
--
-- `slot` orders the rows: the conference's duration class (the bit length of stop - start,
-- so stop - start < 2^class), then its start, then a sequence number among conferences of
-- that class starting in the same second. Conferences of a class overlapping [T0, T1] start
-- after T0 - 2^class and at or before T1: one rowid range per class present.
CREATE TABLE conference_windows (
  slot       INTEGER PRIMARY KEY,         -- class << 57 | (start + 2^38) << 18 | sequence
  id         INTEGER NOT NULL,            -- entries.id
  stop       INTEGER NOT NULL,            -- seconds since the Unix epoch, rounded up
  parent     TEXT    NOT NULL,            -- entries.parent, for one-level scope
  path       TEXT    NOT NULL,            -- entries.path, for subtree scope
  dn         TEXT    NOT NULL,
  expires_at INTEGER,                     -- as entries.expires_at (refreshes update both)
  ends_at    INTEGER,
  encoded    BLOB                         -- as entries.encoded
);
CREATE INDEX conference_windows_id ON conference_windows(id);
-- The duration classes that have ever held a conference: a search reads one range per class.
CREATE TABLE conference_window_classes (class INTEGER PRIMARY KEY);
-- Every entry with an id up to `upto` has been copied (if it is a bounded conference).
CREATE TABLE conference_windows_copied (upto INTEGER NOT NULL);
INSERT INTO conference_windows_copied (upto) VALUES (0);
CREATE TRIGGER entries_windows_delete AFTER DELETE ON entries BEGIN
  DELETE FROM conference_windows WHERE id = old.id;
END;
