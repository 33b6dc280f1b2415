-- The usage ledger: the tokens of each agent turn and planner call, priced when the model's price
-- was known (cost in millionths of currency).
CREATE TABLE usage_entries (
    id              TEXT PRIMARY KEY,
    spec_task_id    TEXT NOT NULL REFERENCES spec_tasks(id),
    work_session_id TEXT REFERENCES work_sessions(id),
    model           TEXT,
    input_tokens    BIGINT NOT NULL,
    output_tokens   BIGINT NOT NULL,
    cached_tokens   BIGINT NOT NULL,
    cost_micros     BIGINT,
    currency        TEXT,
    at              BIGINT NOT NULL
);
CREATE INDEX usage_entries_task ON usage_entries (spec_task_id, work_session_id);
-- What a session's agent last reported for its thread: context fill and cumulative cost.
CREATE TABLE session_usage (
    work_session_id TEXT PRIMARY KEY REFERENCES work_sessions(id),
    spec_task_id    TEXT NOT NULL REFERENCES spec_tasks(id),
    context_used    BIGINT,
    context_size    BIGINT,
    cost_micros     BIGINT,
    currency        TEXT
);
CREATE INDEX session_usage_task ON session_usage (spec_task_id);
