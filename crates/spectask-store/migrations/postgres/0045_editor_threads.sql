-- Work sessions opened from an editor (`spectask acp`): a thread a person started in the editor,
-- which takes its prompts from there and stays open until the editor closes it.
CREATE TABLE editor_threads (
    work_session_id TEXT PRIMARY KEY REFERENCES work_sessions(id),
    client          TEXT NOT NULL,
    cwd             TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
