-- Dashboard operators and their sessions. email is stored case-folded by
-- the dashboard. Sessions are keyed by the SHA-256 of the cookie value, so
-- the table cannot be replayed as cookies.

CREATE TABLE operators (
    tenant        TEXT NOT NULL,
    id            TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, email)
);

CREATE TABLE operator_sessions (
    tenant       TEXT NOT NULL,
    id_hash      TEXT NOT NULL,
    operator_id  TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    PRIMARY KEY (tenant, id_hash)
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (tenant, operator_id);
CREATE INDEX operator_sessions_by_expiry ON operator_sessions (expires_at);
CREATE INDEX operator_sessions_by_activity ON operator_sessions (last_seen_at);
