-- The listings' COUNT(*) of the tasks not hidden (all, or one owner's) reads this small index alone:
-- on SQLite the partial indexes of 0100 do not cover the count (it read every table row to recheck
-- hidden_at), and on both backends this index is a fraction of their size. It leads with
-- created_by, not hidden_at: without statistics (spectask runs no ANALYZE) SQLite would take an
-- index led by hidden_at for the page query too, and sort every visible row instead of reading
-- spec_tasks_visible in order.
CREATE INDEX spec_tasks_visible_count ON spec_tasks (created_by, hidden_at) WHERE hidden_at IS NULL;
