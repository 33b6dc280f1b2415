-- How a spec task's approved plan is implemented: `simple` (one work session for the whole plan) or
-- `complex` (one work session per plan task). Tasks made before this column are complex.
ALTER TABLE spec_tasks ADD COLUMN complexity TEXT NOT NULL DEFAULT 'complex';
