-- Every decision on an approval deletes the approvals of any session decided longer ago than the
-- store keeps them (`DECIDED_MAX_AGE`): this index finds those without reading the table.
CREATE INDEX approvals_decided ON approvals (decided_at) WHERE decided_at IS NOT NULL;
