-- The newest review and line comment of a task's pull request already sent back to its agent:
-- later ones are news (the forge's ids increase within each kind).
ALTER TABLE pull_requests ADD COLUMN reviews_seen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pull_requests ADD COLUMN comments_seen BIGINT NOT NULL DEFAULT 0;
