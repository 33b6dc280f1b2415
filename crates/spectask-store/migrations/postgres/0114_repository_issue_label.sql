-- Issues carrying this label on the repository's forge become tasks; an issue becomes one task.
ALTER TABLE repositories ADD COLUMN issue_label TEXT;
CREATE UNIQUE INDEX task_issues_once ON task_issues (forge, repository, number);
