-- The files a work session reported changing (JSON array, relative to the worktree): its commit
-- takes only these, so a sibling's work in the shared worktree is not swept in.
ALTER TABLE work_sessions ADD COLUMN touched_paths TEXT;
