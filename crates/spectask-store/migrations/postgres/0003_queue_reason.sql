-- Why a task waits in the queue (a WIP limit), shown to people; not a lifecycle state.
ALTER TABLE spec_tasks ADD COLUMN queue_reason TEXT;
