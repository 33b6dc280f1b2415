-- The forge webhook deliveries taken, so that a replay changes nothing: per connection, the
-- delivery's id as the forge names it (`id:<X-GitHub-Delivery>` …) and the hash of its body
-- (`body:<sha256>`; a forge signs the body, not the id). Kept a week.
CREATE TABLE webhook_deliveries (
    forge     TEXT NOT NULL,
    delivery  TEXT NOT NULL,
    taken_at  BIGINT NOT NULL,
    PRIMARY KEY (forge, delivery)
);
CREATE INDEX webhook_deliveries_taken ON webhook_deliveries (taken_at);
