-- Each hook's webtask storage document (context.webtask.storage). The
-- document goes with its hook: the foreign key deletes it with the hook,
-- and refuses a write for a hook that a concurrent delete removed. data is
-- the JSON text exactly as the hook's runtime serialized it; version is a
-- counter, compared by conditional writes.

CREATE TABLE hook_storage (
    tenant     TEXT NOT NULL,
    hook_id    TEXT NOT NULL,
    version    BIGINT NOT NULL,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, hook_id),
    FOREIGN KEY (tenant, hook_id) REFERENCES hooks (tenant, id) ON DELETE CASCADE
);
