-- The nodes sharing this database and the address each serves its API on (written at start): a
-- request that must run on the node holding a task's lease (an editor's turn) names it and where
-- to reach it.
CREATE TABLE nodes (
    name       TEXT PRIMARY KEY,
    address    TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
