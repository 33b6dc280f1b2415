-- The credential of a work session for the coordination API (what the MCP server its agent launches
-- presents). Only a SHA-256 of it is kept; a new one replaces the old whenever the session's thread
-- is opened (session/new or session/load), and it is refused once the session has finished.
CREATE TABLE session_credentials (
    work_session_id TEXT PRIMARY KEY REFERENCES work_sessions(id),
    token_hash      TEXT NOT NULL UNIQUE,
    issued_at       BIGINT NOT NULL
);
