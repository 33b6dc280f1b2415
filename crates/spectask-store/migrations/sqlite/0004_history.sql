-- Session history, durable here first; the recorder appends it to files on the design-docs branch
-- in batches and marks what it committed.
CREATE TABLE history_entries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    spec_task_id    TEXT NOT NULL REFERENCES spec_tasks(id),
    work_session_id TEXT REFERENCES work_sessions(id),
    file            TEXT NOT NULL,
    content         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    committed_at    BIGINT,
    commit_id       TEXT
);
CREATE INDEX history_pending ON history_entries (committed_at, spec_task_id, seq);
CREATE INDEX history_session ON history_entries (work_session_id, seq);
