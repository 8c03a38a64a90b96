-- Conferences end: a bounded conference is removed a grace period after its SDP stop time,
-- however often it is refreshed. ends_at is that moment (ms); NULL for everything else.
ALTER TABLE entries ADD COLUMN ends_at INTEGER;
CREATE INDEX entries_ends ON entries(ends_at) WHERE ends_at IS NOT NULL;
