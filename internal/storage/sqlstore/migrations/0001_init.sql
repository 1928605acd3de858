-- Identity and indexed fields are columns; every other attribute lives in the
-- JSON text column attrs so a new field needs no migration. Times are
-- fixed-width UTC text (see codec.go) so they sort as text on both dialects.
-- {{BYTES}} is BLOB on SQLite and BYTEA on PostgreSQL; sealed columns hold
-- seal.Sealer output only.

CREATE TABLE clients (
    tenant        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    secret_sealed {{BYTES}},
    attrs         TEXT NOT NULL,
    PRIMARY KEY (tenant, client_id)
);
CREATE INDEX clients_by_creation ON clients (tenant, created_at, client_id);

CREATE TABLE resource_servers (
    tenant                TEXT NOT NULL,
    id                    TEXT NOT NULL,
    identifier            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    signing_secret_sealed {{BYTES}},
    attrs                 TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, identifier)
);
CREATE INDEX resource_servers_by_creation ON resource_servers (tenant, created_at, id);

CREATE TABLE client_grants (
    tenant     TEXT NOT NULL,
    id         TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    audience   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    attrs      TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, client_id, audience)
);
CREATE INDEX client_grants_by_audience ON client_grants (tenant, audience);
CREATE INDEX client_grants_by_creation ON client_grants (tenant, created_at, id);

CREATE TABLE signing_keys (
    tenant             TEXT NOT NULL,
    kid                TEXT NOT NULL,
    position           INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    private_key_sealed {{BYTES}} NOT NULL,
    attrs              TEXT NOT NULL,
    PRIMARY KEY (tenant, kid)
);

CREATE TABLE tenant_settings (
    tenant     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    attrs      TEXT NOT NULL,
    PRIMARY KEY (tenant)
);

CREATE TABLE log_events (
    tenant    TEXT NOT NULL,
    log_id    TEXT NOT NULL,
    date      TEXT NOT NULL,
    type      TEXT NOT NULL,
    client_id TEXT NOT NULL,
    attrs     TEXT NOT NULL,
    PRIMARY KEY (tenant, log_id)
);
CREATE INDEX log_events_by_type ON log_events (tenant, type, log_id);
CREATE INDEX log_events_by_client ON log_events (tenant, client_id, log_id);

CREATE TABLE hooks (
    tenant         TEXT NOT NULL,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    trigger_id     TEXT NOT NULL,
    enabled        BOOLEAN NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    secrets_sealed {{BYTES}},
    attrs          TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, name)
);
CREATE INDEX hooks_by_trigger ON hooks (tenant, trigger_id, enabled);
-- The storage layer disables the others before saving an enabled hook; this
-- index makes two concurrent writers fail instead of leaving two enabled.
CREATE UNIQUE INDEX hooks_one_enabled_per_trigger ON hooks (tenant, trigger_id) WHERE enabled;
CREATE INDEX hooks_by_creation ON hooks (tenant, created_at, id);
