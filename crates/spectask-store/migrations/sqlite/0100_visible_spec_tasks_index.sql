-- The listings (`GET /spec-tasks`, `GET /tasks`) count and page the tasks not hidden, newest first,
-- all of them or one owner's: partial indexes over just those rows, in the listing's order, so the
-- count reads an index instead of every row of the table and a page is read in order.
CREATE INDEX spec_tasks_visible ON spec_tasks (created_at DESC, id DESC) WHERE hidden_at IS NULL;
CREATE INDEX spec_tasks_visible_by_owner ON spec_tasks (created_by, created_at DESC, id DESC)
    WHERE hidden_at IS NULL;
