-- What a user may do beyond their own repositories: `admin` (an operator's delegate: registers
-- repositories anywhere, by file:// URL or local path, and sets roles) or `member` (the default:
-- repositories under the configured roots, by https or ssh URL).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member'));
