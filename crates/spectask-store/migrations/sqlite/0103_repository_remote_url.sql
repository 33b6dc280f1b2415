-- The URL a repository was registered by: each node that works on it keeps its own clone of it
-- (nodes need not share a disk), and a task's work moves between nodes through that remote.
ALTER TABLE repositories ADD COLUMN remote_url TEXT;
