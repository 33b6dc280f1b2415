-- A daily budget a person set for one repository (`scope` = 'repository', `subject` its id) or one
-- user (`scope` = 'user', `subject` the name): what all its tasks together may spend in a day
-- (UTC). Without a row the configuration's default holds.
CREATE TABLE daily_budgets (
    scope       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    tokens      BIGINT,
    cost_micros BIGINT,
    currency    TEXT,
    set_by      TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
-- The daily budget lines crossed (`warning`, `reached`), each told once per day (`YYYY-MM-DD`).
CREATE TABLE daily_budget_alerts (
    scope   TEXT NOT NULL,
    subject TEXT NOT NULL,
    day     TEXT NOT NULL,
    level   TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (scope, subject, day, level)
);
-- A day's spending is summed from the ledger's entries of that day.
CREATE INDEX usage_entries_at ON usage_entries (at);
