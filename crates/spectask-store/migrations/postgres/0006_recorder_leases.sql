-- Which recorder commits a repository's session history: one at a time across processes and nodes,
-- so a batch is never appended twice. A lease that expires (its holder died) is taken over.
CREATE TABLE recorder_leases (
    repository_id TEXT PRIMARY KEY REFERENCES repositories(id),
    owner         TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
