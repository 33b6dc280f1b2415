-- The workflow template a task's spec follows: `feature`, `design-first`, `bugfix`, or a
-- repository's own template name.
ALTER TABLE spec_tasks ADD COLUMN workflow TEXT NOT NULL DEFAULT 'feature';
