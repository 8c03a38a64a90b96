-- Rendezvous directory store, version 1.
-- Entries keep their attributes as JSON; every comparable attribute value is also in
-- entry_index in its normal form, so the indexable part of a filter runs as SQL.

CREATE TABLE entries (
  id          INTEGER PRIMARY KEY,
  dn          TEXT    NOT NULL,          -- as the client wrote it
  ndn         TEXT    NOT NULL UNIQUE,   -- normalised, for lookups
  parent      TEXT    NOT NULL,          -- normalised DN of the parent
  path        TEXT    NOT NULL,          -- normalised RDNs root first, joined by U+0001: subtree = range
  attributes  TEXT    NOT NULL,          -- JSON object: canonical attribute name -> values
  creator     TEXT    NOT NULL,          -- DN (or ILS owner) that created the entry
  modifier    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,          -- ms since the Unix epoch
  modified_at INTEGER NOT NULL,
  uuid        TEXT    NOT NULL,
  expires_at  INTEGER                    -- ms; NULL for static entries
);
CREATE INDEX entries_parent ON entries(parent);
CREATE INDEX entries_path ON entries(path);
CREATE INDEX entries_expires ON entries(expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE entry_index (
  entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
  attr     TEXT    NOT NULL,             -- lower-case canonical attribute name
  value    TEXT    NOT NULL              -- equality normal form (sortable for ordered syntaxes)
);
CREATE INDEX entry_index_lookup ON entry_index(attr, value, entry_id);
CREATE INDEX entry_index_entry ON entry_index(entry_id);

CREATE TABLE accounts (
  name       TEXT    PRIMARY KEY COLLATE NOCASE,
  hash       TEXT    NOT NULL,           -- $scrypt$N$r$p$salt$key, base64
  admin      INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
