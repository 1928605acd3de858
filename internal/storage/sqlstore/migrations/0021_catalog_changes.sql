-- The catalog change log. Every write to what the token path reads (clients,
-- APIs, grants, keys, settings, hooks) takes the tenant's next sequence
-- numbers from catalog_seq and records one row per changed record in
-- catalog_changes, in the same transaction. The row lock on catalog_seq
-- orders a tenant's catalog writers, so sequence order is commit order with
-- no gaps: a cache that knows where it is catches up by reading the rows
-- after it, instead of reloading everything. Only recent rows are kept.

CREATE TABLE catalog_seq (
    tenant TEXT NOT NULL PRIMARY KEY,
    seq    BIGINT NOT NULL
);

CREATE TABLE catalog_changes (
    tenant  TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    rec_key TEXT NOT NULL,
    PRIMARY KEY (tenant, seq)
);
