-- What "done" does with a task's branch in this repository: merge it into the default branch, or
-- keep it for a pull request.
ALTER TABLE repositories ADD COLUMN merge_policy TEXT NOT NULL DEFAULT 'merge';
