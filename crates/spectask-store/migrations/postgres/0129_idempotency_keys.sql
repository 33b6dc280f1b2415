-- Idempotency keys (the `Idempotency-Key` header of state-changing requests): per user, the first
-- request's fingerprint (method, path and body hashed) and its answer, so that a repeat returns
-- that answer and changes nothing. `status` is NULL while the first request is being answered.
-- Kept a day.
CREATE TABLE idempotency_keys (
    user_name    TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       BIGINT,
    content_type TEXT,
    body         TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_name, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
