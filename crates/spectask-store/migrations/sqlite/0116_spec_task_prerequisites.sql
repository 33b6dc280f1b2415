-- The SpecTasks a task waits for (all of them done), and the phase they hold it before
-- ('implementation' or 'planning'; the same on every row of a task). No foreign key on the
-- prerequisite: `spectask recover` writes tasks back one at a time, in any order.
CREATE TABLE spec_task_prerequisites (
    spec_task_id    TEXT NOT NULL REFERENCES spec_tasks(id),
    prerequisite_id TEXT NOT NULL,
    hold_before     TEXT NOT NULL,
    PRIMARY KEY (spec_task_id, prerequisite_id)
);
CREATE INDEX spec_task_prerequisites_by_prerequisite ON spec_task_prerequisites (prerequisite_id);
