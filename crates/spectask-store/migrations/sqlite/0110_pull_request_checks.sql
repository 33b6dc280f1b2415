-- The checks of a task's pull request's head as last read (JSON), the head whose failing checks
-- went back to the agent last, and how many times failing checks went back.
ALTER TABLE pull_requests ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pull_requests ADD COLUMN checks_sent_for TEXT;
ALTER TABLE pull_requests ADD COLUMN check_rounds BIGINT NOT NULL DEFAULT 0;
