-- The MCP servers an editor gave a thread (ACP `mcpServers`, as JSON): passed on to the thread's
-- agent beside spectask's own. A runtime row: not part of the task's snapshot in git.
ALTER TABLE editor_threads ADD COLUMN mcp_servers TEXT NOT NULL DEFAULT '[]';
