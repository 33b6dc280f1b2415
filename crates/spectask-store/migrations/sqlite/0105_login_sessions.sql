-- The dashboard's logins. The cookie holds a random session secret, never an API token; only its
-- keyed hash is kept (as for tokens). A session names the token it was opened with: revoking that
-- token ends it. Logging out deletes it; an expired one names nobody.
CREATE TABLE login_sessions (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    token_id    TEXT NOT NULL REFERENCES api_tokens(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX login_sessions_token ON login_sessions (token_id);
