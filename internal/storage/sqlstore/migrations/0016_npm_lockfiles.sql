-- npm lockfiles of installed hook dependency trees, keyed by the tree's
-- content hash (derived from the resolved packages), so every replica
-- installs exactly the tree the saving replica resolved. Rows are never
-- updated: one hash is one resolved set.

CREATE TABLE npm_lockfiles (
    tenant     TEXT NOT NULL,
    hash       TEXT NOT NULL,
    lockfile   {{BYTES}} NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, hash)
);
