-- Each entry's user attributes as the LDAP protocol encodes them in a search result (the
-- PartialAttributeList of RFC 4511 §4.5.2), written with the entry. A search for all user
-- attributes sends these bytes instead of decoding the JSON, selecting and encoding again:
-- at 1,000,000 entries almost every search reads an entry no cache holds. NULL (entries
-- written before this migration) falls back to encoding at search time.
ALTER TABLE entries ADD COLUMN encoded BLOB;
