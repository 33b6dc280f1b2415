-- The MCP servers an editor gives a thread may carry its credentials in their environment: they are
-- no longer kept in the database. The editor gives them with every prompt, and the node running the
-- thread holds them in memory only.
ALTER TABLE editor_threads DROP COLUMN mcp_servers;
