-- When a completed work session's changes were committed to its task branch (its commit step ran):
-- only then does it count as done for scheduling (dependents start, the task is submitted).
ALTER TABLE work_sessions ADD COLUMN committed_at BIGINT;
UPDATE work_sessions SET committed_at = updated_at
WHERE status = 'completed' AND id NOT IN (
    SELECT work_session_id FROM jobs
    WHERE kind = 'commit_changes' AND status IN ('queued', 'running') AND work_session_id IS NOT NULL
);
