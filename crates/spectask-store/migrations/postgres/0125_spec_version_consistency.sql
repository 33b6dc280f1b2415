-- The planner's own consistency check of a spec version: what it found left inconsistent across
-- the three documents (a JSON array of strings, `file:line: what`).
ALTER TABLE spec_versions ADD COLUMN consistency TEXT NOT NULL DEFAULT '[]';
