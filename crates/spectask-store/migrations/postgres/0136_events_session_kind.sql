-- The newest event of one kind per work session of some tasks (a session's latest plan) reads this
-- index alone instead of every event of the tasks.
CREATE INDEX events_session_kind ON events (spec_task_id, kind, work_session_id, seq);
