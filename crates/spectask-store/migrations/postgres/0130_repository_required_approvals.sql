-- How many approvals a pull request needs before spectask merges it (besides no reviewer's latest
-- verdict asking for changes): none by default.
ALTER TABLE repositories ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 0;
