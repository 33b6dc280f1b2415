-- A revoked API token stays listed (who had it, when it was made and revoked) and names nobody.
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
