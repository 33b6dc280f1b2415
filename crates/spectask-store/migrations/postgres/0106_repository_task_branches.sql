-- What becomes of a task's branch once the task ended: kept (as before), or deleted once merged.
ALTER TABLE repositories ADD COLUMN task_branches TEXT NOT NULL DEFAULT 'keep';
