-- The budget that holds each task, when one does: its own (scope NULL) or the daily budget of its
-- repository or user (scope `repository` or `user`, subject the id or name). Written with the pause
-- of the session or planning it stops, removed when nothing holds the task any more; `lift` says how
-- a person raises it.
CREATE TABLE budget_holds (
    spec_task_id TEXT PRIMARY KEY REFERENCES spec_tasks(id),
    scope        TEXT,
    subject      TEXT NOT NULL,
    why          TEXT NOT NULL,
    lift         TEXT NOT NULL,
    since        BIGINT NOT NULL
);
