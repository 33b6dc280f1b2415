-- A task's pull request on its repository's forge, as last read (one per task: a new one replaces
-- a closed one). next_check_at is claimed by compare-and-swap, so one node reads it at a time.
CREATE TABLE pull_requests (
    spec_task_id TEXT PRIMARY KEY REFERENCES spec_tasks(id),
    forge TEXT NOT NULL,
    repository TEXT NOT NULL,
    number BIGINT NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL,
    head_sha TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    check_error TEXT,
    next_check_at BIGINT NOT NULL
);
CREATE INDEX pull_requests_due ON pull_requests (state, next_check_at);
