-- Live agent instances are the runtime's (one process per SpecTask, per node); nothing recorded them
-- here. Their table and the threads' link to it go. SQLite cannot drop a column that references
-- another table, so threads is rebuilt (nothing references threads).
CREATE TABLE threads_rebuilt (
    id                TEXT PRIMARY KEY,
    work_session_id   TEXT NOT NULL UNIQUE REFERENCES work_sessions(id),
    acp_session_id    TEXT,
    status            TEXT NOT NULL,
    last_activity_at  BIGINT,
    created_at        BIGINT NOT NULL
);
INSERT INTO threads_rebuilt (id, work_session_id, acp_session_id, status, last_activity_at, created_at)
    SELECT id, work_session_id, acp_session_id, status, last_activity_at, created_at FROM threads;
DROP TABLE threads;
ALTER TABLE threads_rebuilt RENAME TO threads;
DROP TABLE agent_instances;
