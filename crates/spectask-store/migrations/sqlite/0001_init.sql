-- spectask schema v1 (SQLite). Times are Unix milliseconds; ids are hyphenated UUIDv7 text;
-- JSON is stored as text. Keep in step with migrations/postgres/0001_init.sql.

CREATE TABLE repositories (
    id                 TEXT PRIMARY KEY,
    path               TEXT NOT NULL UNIQUE,
    default_branch     TEXT NOT NULL,
    design_docs_branch TEXT NOT NULL,
    attention          TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE spec_tasks (
    id                   TEXT PRIMARY KEY,
    short_id             TEXT NOT NULL UNIQUE,
    slug                 TEXT NOT NULL,
    title                TEXT NOT NULL,
    prompt               TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    failed_from          TEXT,
    error                TEXT,
    repository_id        TEXT NOT NULL REFERENCES repositories(id),
    planning_agent       TEXT,
    implementation_agent TEXT,
    priority             BIGINT NOT NULL,
    spec_version         BIGINT NOT NULL DEFAULT 0,
    created_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    started_at           BIGINT,
    completed_at         BIGINT,
    version              BIGINT NOT NULL
);
CREATE INDEX spec_tasks_status ON spec_tasks (status, priority, created_at);
CREATE INDEX spec_tasks_repository ON spec_tasks (repository_id, created_at);
CREATE INDEX spec_tasks_created ON spec_tasks (created_at);

CREATE TABLE spec_versions (
    spec_task_id TEXT NOT NULL REFERENCES spec_tasks(id),
    version      BIGINT NOT NULL,
    requirements TEXT NOT NULL,
    design       TEXT NOT NULL,
    tasks        TEXT NOT NULL,
    planner      TEXT NOT NULL,
    usage        TEXT NOT NULL,
    lint         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (spec_task_id, version)
);

CREATE TABLE spec_reviews (
    id            TEXT PRIMARY KEY,
    spec_task_id  TEXT NOT NULL REFERENCES spec_tasks(id),
    version       BIGINT NOT NULL,
    decision      TEXT NOT NULL,
    comments      TEXT NOT NULL,
    line_comments TEXT NOT NULL,
    reviewer      TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX spec_reviews_task ON spec_reviews (spec_task_id, created_at);

CREATE TABLE work_sessions (
    id            TEXT PRIMARY KEY,
    spec_task_id  TEXT NOT NULL REFERENCES spec_tasks(id),
    parent_id     TEXT REFERENCES work_sessions(id),
    spawned_by_id TEXT REFERENCES work_sessions(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    phase         TEXT NOT NULL,
    status        TEXT NOT NULL,
    status_detail TEXT,
    plan_task     TEXT,
    agent_profile TEXT,
    agent_config  TEXT NOT NULL,
    priority      BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    started_at    BIGINT,
    completed_at  BIGINT,
    version       BIGINT NOT NULL
);
CREATE INDEX work_sessions_task ON work_sessions (spec_task_id, created_at);
CREATE INDEX work_sessions_status ON work_sessions (status);

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    work_session_id TEXT NOT NULL UNIQUE REFERENCES work_sessions(id),
    created_at      BIGINT NOT NULL
);

CREATE TABLE agent_instances (
    id           TEXT PRIMARY KEY,
    spec_task_id TEXT NOT NULL REFERENCES spec_tasks(id),
    profile      TEXT NOT NULL,
    node         TEXT NOT NULL,
    status       TEXT NOT NULL,
    pid          BIGINT,
    started_at   BIGINT NOT NULL,
    stopped_at   BIGINT
);
-- One live agent instance per SpecTask.
CREATE UNIQUE INDEX agent_instances_live ON agent_instances (spec_task_id)
    WHERE status IN ('starting', 'running');

CREATE TABLE threads (
    id                TEXT PRIMARY KEY,
    work_session_id   TEXT NOT NULL UNIQUE REFERENCES work_sessions(id),
    agent_instance_id TEXT REFERENCES agent_instances(id),
    acp_session_id    TEXT,
    status            TEXT NOT NULL,
    last_activity_at  BIGINT,
    created_at        BIGINT NOT NULL
);

CREATE TABLE coordination_events (
    spec_task_id TEXT NOT NULL REFERENCES spec_tasks(id),
    seq          BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    from_session TEXT,
    to_session   TEXT,
    message      TEXT NOT NULL,
    data         TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (spec_task_id, seq)
);

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    spec_task_id    TEXT,
    work_session_id TEXT,
    payload         TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX events_task ON events (spec_task_id, seq);
