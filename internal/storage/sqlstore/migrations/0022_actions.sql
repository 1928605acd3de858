-- Auth0 Actions. An action row is the draft the Management API edits; a
-- deploy copies it into an immutable action_versions row, of which at most
-- one per action is deployed (the partial unique index makes two concurrent
-- deploys fail instead of leaving two). action_bindings put actions on a
-- trigger in execution order (position). Secrets are sealed like hook
-- secrets, one sealed value per row. Versions and bindings go with their
-- action (foreign keys); the storage layer also deletes them explicitly.

CREATE TABLE actions (
    tenant              TEXT NOT NULL,
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    deployed_version_id TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    secrets_sealed      {{BYTES}},
    attrs               TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, name)
);

-- The triggers an action supports, one row each, so lists can filter by
-- trigger on both dialects without JSON functions. Rewritten with the action.
CREATE TABLE action_triggers (
    tenant     TEXT NOT NULL,
    action_id  TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    PRIMARY KEY (tenant, trigger_id, action_id),
    FOREIGN KEY (tenant, action_id) REFERENCES actions (tenant, id) ON DELETE CASCADE
);
CREATE INDEX action_triggers_by_action ON action_triggers (tenant, action_id);

CREATE TABLE action_versions (
    tenant         TEXT NOT NULL,
    action_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    number         INTEGER NOT NULL,
    deployed       BOOLEAN NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    secrets_sealed {{BYTES}},
    attrs          TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, action_id, number),
    FOREIGN KEY (tenant, action_id) REFERENCES actions (tenant, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX action_versions_one_deployed ON action_versions (tenant, action_id) WHERE deployed;

CREATE TABLE action_bindings (
    tenant       TEXT NOT NULL,
    trigger_id   TEXT NOT NULL,
    position     INTEGER NOT NULL,
    id           TEXT NOT NULL,
    action_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, trigger_id, position),
    FOREIGN KEY (tenant, action_id) REFERENCES actions (tenant, id) ON DELETE CASCADE
);
CREATE INDEX action_bindings_by_action ON action_bindings (tenant, action_id);
