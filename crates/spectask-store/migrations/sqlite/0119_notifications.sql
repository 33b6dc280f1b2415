-- Notifications: one per event that needs its task's owner (see spectask_core::notification),
-- recorded by the follower of the outbox from its cursor, in the transaction that moves it.
CREATE TABLE notification_cursor (
    id  BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
-- Events before this migration notify nobody.
INSERT INTO notification_cursor (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events;
CREATE TABLE notifications (
    id           BIGINT PRIMARY KEY,
    kind         TEXT NOT NULL,
    spec_task_id TEXT NOT NULL REFERENCES spec_tasks(id),
    owner        TEXT NOT NULL,
    task_title   TEXT NOT NULL,
    text         TEXT NOT NULL,
    path         TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX notifications_owner ON notifications (owner, id);
-- One delivery per notification and webhook (by the webhook's name): pending, delivered or failed.
-- A node sending it holds it under a lease.
CREATE TABLE notification_deliveries (
    notification_id  BIGINT NOT NULL REFERENCES notifications(id),
    webhook          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    last_http_status BIGINT,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    PRIMARY KEY (notification_id, webhook)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
-- Every attempt of a delivery: its HTTP status or error, and when the next one is due.
CREATE TABLE notification_attempts (
    notification_id BIGINT NOT NULL,
    webhook         TEXT NOT NULL,
    attempt         BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    http_status     BIGINT,
    error           TEXT,
    next_attempt_at BIGINT,
    PRIMARY KEY (notification_id, webhook, attempt)
);
