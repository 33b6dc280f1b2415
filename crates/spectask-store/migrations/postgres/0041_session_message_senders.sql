-- Messages between work sessions (send_message and handoff over MCP) share the queue of a person's
-- messages: from_session names the sending session (NULL: a person), kind is message or handoff.
ALTER TABLE session_messages ADD COLUMN from_session TEXT REFERENCES work_sessions(id);
ALTER TABLE session_messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
