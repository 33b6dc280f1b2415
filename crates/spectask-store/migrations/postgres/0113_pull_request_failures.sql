-- Readings of a task's pull request that failed in a row: the next one waits longer each time.
ALTER TABLE pull_requests ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
