-- Account names are unique by their normal form, as their bind DNs compare them (case and
-- leading, trailing and repeated spaces do not count): `alice` and ` alice` would otherwise be
-- two accounts with one DN, owning the same entries. The server fills `key` (accountKey in
-- src/directory/operations/bind.ts) for accounts written before this, oldest first, and
-- leaves it empty for an account whose normal form an older one already has: such a clash
-- stops the server from starting until one of the two is deleted (AccountStore.assignKeys).
ALTER TABLE accounts ADD COLUMN key TEXT;
CREATE UNIQUE INDEX accounts_by_key ON accounts (key);
