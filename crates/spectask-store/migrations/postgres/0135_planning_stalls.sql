-- A task whose planning (or reviewing) agent has been silent for the stall time: since when, its
-- last activity and the profile's `on_stall`. The row goes when the agent speaks again or its turn
-- ends; a planning has no work session, so it cannot be a `session_stalls` row.
CREATE TABLE planning_stalls (
    spec_task_id     TEXT PRIMARY KEY REFERENCES spec_tasks(id),
    since            BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    policy           TEXT NOT NULL
);
