-- A task's own budget, set at its creation or by a person later (a task without one follows the
-- configuration's default): tokens (input and output), money in millionths of currency, or both.
CREATE TABLE task_budgets (
    spec_task_id TEXT PRIMARY KEY REFERENCES spec_tasks(id),
    tokens       BIGINT,
    cost_micros  BIGINT,
    currency     TEXT,
    set_by       TEXT NOT NULL,
    set_at       BIGINT NOT NULL
);
-- The budget lines a task has crossed (`warning`, `reached`), each told once; a raise clears
-- the lines the new budget puts the task back under.
CREATE TABLE budget_alerts (
    spec_task_id TEXT NOT NULL REFERENCES spec_tasks(id),
    level        TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (spec_task_id, level)
);
-- Running sessions whose agent has been silent for the stall time: since when, and its last
-- activity. The row goes when the agent speaks again or the session stops running.
CREATE TABLE session_stalls (
    work_session_id  TEXT PRIMARY KEY REFERENCES work_sessions(id),
    spec_task_id     TEXT NOT NULL REFERENCES spec_tasks(id),
    since            BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    policy           TEXT NOT NULL
);
CREATE INDEX session_stalls_task ON session_stalls (spec_task_id);
