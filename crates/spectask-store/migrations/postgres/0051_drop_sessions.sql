-- A work session's recorded conversation is its history (history_entries, then the design-docs
-- branch); the one-row-per-work-session table of ids that nothing read is dropped.
DROP TABLE sessions;
