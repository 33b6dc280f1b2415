-- What the planner asked the person with a spec version (a JSON array of strings).
ALTER TABLE spec_versions ADD COLUMN questions TEXT NOT NULL DEFAULT '[]';
