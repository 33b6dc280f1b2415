-- A SpecTask deleted through the seeds' generic task view (`DELETE /tasks/{id}`) is cancelled and
-- hidden from listings; its rows and its git history stay.
ALTER TABLE spec_tasks ADD COLUMN hidden_at BIGINT;
