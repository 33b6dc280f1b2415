-- Permission requests of agents waiting for a person (the `ask` policy), so that any node lists and
-- answers them; the node whose agent asks (`node`) carries the answer to it. `status` is `pending`,
-- `answered` (a person chose `option_id`) or `withdrawn` (the agent's turn ended otherwise: the
-- session was cancelled, or the agent or its node went away).
CREATE TABLE approvals (
    id              TEXT PRIMARY KEY,
    spec_task_id    TEXT NOT NULL REFERENCES spec_tasks(id),
    work_session_id TEXT NOT NULL REFERENCES work_sessions(id),
    acp_session_id  TEXT NOT NULL,
    node            TEXT NOT NULL,
    tool_call_id    TEXT NOT NULL,
    title           TEXT,
    kind            TEXT,
    locations       TEXT NOT NULL,
    options         TEXT NOT NULL,
    status          TEXT NOT NULL,
    option_id       TEXT,
    answered_by     TEXT,
    requested_at    BIGINT NOT NULL,
    decided_at      BIGINT
);
CREATE INDEX approvals_by_status ON approvals (status, requested_at);
CREATE INDEX approvals_by_session ON approvals (work_session_id, status);
