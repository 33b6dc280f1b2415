-- An issue becomes one task per registered repository, not one on the whole server: the claim is
-- the repository the issue was imported into (its task's), so one user's import into a clone of
-- their own never takes the issue from the owner of another.
ALTER TABLE task_issues ADD COLUMN repository_id TEXT;
UPDATE task_issues SET repository_id =
    (SELECT spec_tasks.repository_id FROM spec_tasks WHERE spec_tasks.id = task_issues.spec_task_id);
DROP INDEX task_issues_once;
CREATE UNIQUE INDEX task_issues_once ON task_issues (repository_id, forge, repository, number);
