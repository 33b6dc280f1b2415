-- Which node holds a SpecTask's agent instance: the work-session jobs of a task run there while the
-- lease is fresh; when it expires another node takes the task over.
CREATE TABLE task_leases (
    spec_task_id TEXT PRIMARY KEY REFERENCES spec_tasks(id),
    owner        TEXT NOT NULL,
    expires_at   BIGINT NOT NULL
);
ALTER TABLE work_sessions ADD COLUMN summary TEXT;
