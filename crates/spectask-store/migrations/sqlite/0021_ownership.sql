-- Who may see a repository: the users who registered it or created a task in it. A SpecTask's
-- owner is the user its created_by names; listings by owner use the index.
CREATE TABLE repository_users (
    repository_id TEXT NOT NULL REFERENCES repositories(id),
    user_name     TEXT NOT NULL,
    PRIMARY KEY (repository_id, user_name)
);
CREATE INDEX spec_tasks_owner ON spec_tasks (created_by, created_at);
