-- The forge issue a task was imported from (spectask task import <issue URL>).
CREATE TABLE task_issues (
    spec_task_id TEXT PRIMARY KEY REFERENCES spec_tasks(id),
    forge TEXT NOT NULL,
    repository TEXT NOT NULL,
    number BIGINT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    closed BIGINT NOT NULL DEFAULT 0
);
