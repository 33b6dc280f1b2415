-- One lease per node instead of one per running job: a node renews its row with one write whatever
-- its number of jobs, and a running job (jobs.lease_owner) is claimable again once its owner's
-- lease has lapsed. The epoch counts the node's leases: it changes when a lapsed lease is taken again.
CREATE TABLE node_leases (
    node       TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    epoch      BIGINT NOT NULL
);
CREATE INDEX jobs_owner ON jobs (lease_owner, status);
