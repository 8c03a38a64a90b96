-- Conference time spans in an R*Tree, so the time-window search
-- (&(startTime<=T1)(stopTime>=T0)) is one overlap query instead of the intersection of two
-- half-table ranges. Seconds since the Unix epoch; unbounded stops are 1e11. R*Tree stores
-- 32-bit floats rounded outwards, so it returns a superset that the filter then narrows.
CREATE VIRTUAL TABLE conference_spans USING rtree(id, lo, hi);
CREATE TRIGGER entries_spans_delete AFTER DELETE ON entries BEGIN
  DELETE FROM conference_spans WHERE id = old.id;
END;
