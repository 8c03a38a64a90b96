-- One shape for every entry row: its attributes once, as the protocol encodes them
-- (`encoded`), never as JSON. Until now a row held them as JSON alone (written before 007,
-- or with an empty value, which a search result leaves out), as JSON beside the encoding
-- (written by a store without a decoder), or as the encoding alone (JSON ''), and every
-- reader had to tell which.
--
-- `sendable` is 1 when `encoded` is exactly what a search for all user attributes sends. An
-- entry with values a result leaves out (an empty value: legal for IA5 strings, and kept, so
-- that `(attr=)` and `(attr=*)` still match it) is stored with every value encoded and
-- sendable 0; searches read its attributes and leave those values out, as before. An
-- encoding written beside JSON was written only when it held every value: sendable.
--
-- Encoding the JSON of the rows without an encoding needs the schema and the protocol's
-- encoder: it waits in entry_json for the server, which encodes it at startup before anything
-- reads an entry (src/store/backfill.ts, backfillEncodings) and drops the table. From then on
-- `encoded` is never NULL.
CREATE TABLE entry_json (
  id         INTEGER PRIMARY KEY,         -- entries.id
  attributes TEXT    NOT NULL             -- the row's JSON
);
INSERT INTO entry_json (id, attributes) SELECT id, attributes FROM entries WHERE encoded IS NULL;
INSERT INTO pending_backfills (name) VALUES ('entry_encoding');
ALTER TABLE entries DROP COLUMN attributes;
ALTER TABLE entries ADD COLUMN sendable INTEGER NOT NULL DEFAULT 1;

-- The time-clustered copies of rows that kept their JSON beside the encoding were made
-- without it (a search read those rows' JSON); a search sends it now.
UPDATE conference_windows SET encoded = (SELECT e.encoded FROM entries AS e WHERE e.id = conference_windows.id) WHERE encoded IS NULL;
