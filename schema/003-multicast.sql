-- Multicast address allocation (src/mcast). Addresses are offsets into their scope's pool
-- (at most 2^32 addresses, so integers), scopes are named by their Scope ID (first address).

-- The pool each scope had when its free list was last built; a changed pool rebuilds it.
CREATE TABLE mcast_scopes (
  scope     TEXT    PRIMARY KEY,          -- Scope ID, canonical text
  pool_size INTEGER NOT NULL
);

-- One lease: consecutive addresses lo..hi of a scope's pool from start_at to end_at.
CREATE TABLE mcast_leases (
  id         INTEGER PRIMARY KEY,
  lease_id   TEXT    NOT NULL UNIQUE,     -- MADCAP Lease Identifier (option 3), lower-case hex
  scope      TEXT    NOT NULL,
  lo         INTEGER NOT NULL,
  hi         INTEGER NOT NULL,
  start_at   INTEGER NOT NULL,            -- ms since the Unix epoch
  end_at     INTEGER NOT NULL,            -- ms; the lease ends (and expires) here
  created_at INTEGER NOT NULL,
  client     TEXT    NOT NULL DEFAULT ''  -- who asked (address:port), for operators
);
CREATE INDEX mcast_leases_scope ON mcast_leases(scope, lo);
CREATE INDEX mcast_leases_end ON mcast_leases(end_at);

-- Maximal runs of pool offsets that no lease holds at any time: allocation takes from here
-- through the size index, without walking the pool or the leases.
CREATE TABLE mcast_free (
  scope TEXT    NOT NULL,
  lo    INTEGER NOT NULL,
  hi    INTEGER NOT NULL,
  PRIMARY KEY (scope, lo)
) WITHOUT ROWID;
CREATE INDEX mcast_free_size ON mcast_free(scope, hi - lo, lo);
CREATE INDEX mcast_free_hi ON mcast_free(scope, hi);
