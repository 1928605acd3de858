-- Password-change tickets: the SHA-256 of the token (never the token),
-- the user, where to send them afterwards and when the ticket expires. A
-- use deletes the row.

CREATE TABLE password_tickets (
    tenant     TEXT NOT NULL,
    hash       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    result_url TEXT NOT NULL DEFAULT '',
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, hash)
);
CREATE INDEX password_tickets_by_expiry ON password_tickets (tenant, expires_at);
