-- Live agent instances are the runtime's (one process per SpecTask, per node); nothing recorded them
-- here. Their table and the threads' link to it go.
ALTER TABLE threads DROP COLUMN agent_instance_id;
DROP TABLE agent_instances;
