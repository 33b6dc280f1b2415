-- Jobs of effects that did nothing (awaiting a spec review, scheduling a revision, cancelling a
-- thread) are no longer written; drop any left by an older version so that every stored job names a step.
DELETE FROM jobs WHERE kind IN ('await_spec_review', 'schedule_revision', 'cancel_thread');
