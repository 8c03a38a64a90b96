-- A conference's startTime and stopTime are answered by the span table's R*Tree, which takes
-- ranges on either edge (src/store/search-sql.ts), and its generalDescription is free text
-- searched by words in it, which an equality index cannot answer: entry_index keeps no rows
-- of them any more, rows that cost every add three random index pages to write. Remove
-- those written before.
DELETE FROM entry_index WHERE attr IN ('starttime', 'stoptime', 'generaldescription');
