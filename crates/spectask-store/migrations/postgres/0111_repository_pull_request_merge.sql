-- Who merges a task's pull request: people (the default), or spectask, once its checks pass, by
-- the forge's merge, squash or rebase.
ALTER TABLE repositories ADD COLUMN pull_request_merge TEXT NOT NULL DEFAULT 'people';
