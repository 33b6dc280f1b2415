-- The session addressing a review's requested changes is made by the StartImplementation step once
-- the task is admitted again; a StartFollowUpSession job left by an older version becomes that step.
UPDATE jobs SET kind = 'start_implementation' WHERE kind = 'start_follow_up_session';
