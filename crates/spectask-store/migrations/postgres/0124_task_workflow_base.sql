-- The built-in workflow a task's workflow is, or a repository template builds on: `feature`,
-- `design-first`, `bugfix` or `review`. It names the spec's documents (a bugfix's `bugfix.md`)
-- without reading the template again.
ALTER TABLE spec_tasks ADD COLUMN workflow_base TEXT NOT NULL DEFAULT 'feature';
UPDATE spec_tasks SET workflow_base = workflow WHERE workflow IN ('design-first', 'bugfix', 'review');
