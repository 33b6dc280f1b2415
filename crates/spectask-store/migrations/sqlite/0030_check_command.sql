-- The repository's own check command (`npm test`, `cargo test` …): run in a session's worktree after
-- a turn that claims completion; NULL when the repository names none.
ALTER TABLE repositories ADD COLUMN check_command TEXT;
