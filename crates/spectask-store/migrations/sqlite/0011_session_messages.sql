-- Messages a person sends to a running work session (interactive tasks), delivered in order.
CREATE TABLE session_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    work_session_id TEXT NOT NULL REFERENCES work_sessions(id),
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX session_messages_pending ON session_messages (work_session_id, delivered_at, id);
