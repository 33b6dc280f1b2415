-- A running job is held by its node's lease (node_leases), not by a deadline of its own: the
-- column that held one is read by nothing since.
ALTER TABLE jobs DROP COLUMN lease_expires_at;
