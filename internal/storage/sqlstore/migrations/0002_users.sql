-- Users of the database connection and the brute-force counters.
-- email_lower and username_lower are the case-folded keys the unique
-- indexes and logins use (Auth0 treats both case-insensitively); the
-- original spelling is kept in attrs. A user without a username stores
-- NULL, which unique indexes on both dialects let repeat.
-- The login statistics are columns so a login can bump them in one
-- UPDATE without reading the row.

CREATE TABLE users (
    tenant          TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    connection      TEXT NOT NULL,
    email_lower     TEXT NOT NULL,
    username_lower  TEXT,
    name_lower      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_login      TEXT,
    logins_count    INTEGER NOT NULL DEFAULT 0,
    last_ip         TEXT NOT NULL DEFAULT '',
    password_sealed {{BYTES}},
    attrs           TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id)
);
CREATE UNIQUE INDEX users_by_email ON users (tenant, connection, email_lower);
CREATE UNIQUE INDEX users_by_username ON users (tenant, connection, username_lower);
CREATE INDEX users_by_creation ON users (tenant, created_at, user_id);

-- One row per (user, ip) with at least one failure since the last success
-- or reset. count and last_at are updated by a single upsert, which is what
-- makes the count exact under concurrency on both dialects.
CREATE TABLE failed_logins (
    tenant  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    ip      TEXT NOT NULL,
    count   INTEGER NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id, ip)
);
