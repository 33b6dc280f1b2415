-- Each reviewer's latest verdict on a task's pull request as last read (JSON).
ALTER TABLE pull_requests ADD COLUMN reviews TEXT NOT NULL DEFAULT '[]';
