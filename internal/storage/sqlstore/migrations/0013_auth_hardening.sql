-- Operator password hashes are sealed under the master key like users'
-- (password_sealed); password_hash stays for the schema's NOT NULL and
-- holds '' once a row is sealed. Rows written before this migration are
-- sealed by Go code at Open (sealOperatorPasswords), which SQL cannot do.
ALTER TABLE operators ADD COLUMN password_sealed {{BYTES}};

-- The sweep of stale brute-force counters (DeleteFailedLoginsBefore)
-- reads by last activity.
CREATE INDEX failed_logins_by_last ON failed_logins (last_at);
