-- The tenant log is the one table that grows with traffic, so its bytes per
-- event matter. The table is rebuilt:
--   * on SQLite WITHOUT ROWID: the rows live in the primary key's b-tree
--     instead of a rowid table plus a second b-tree for (tenant, log_id),
--     and the secondary indexes point at log_id instead of a rowid;
--   * without log_events_by_date: log ids sort by age, so retention walks
--     the primary key from the oldest id and stops at the first event too
--     young to delete (PruneLogEvents).
-- log_events_by_type and log_events_by_client stay: each serves the q
-- filter on its column in log id order, so a page reads only its rows.
-- Copying every row makes this migration take as long as the log is big
-- (seconds per million events) once, at the first start of this version.
CREATE TABLE log_events_compact (
    tenant    TEXT NOT NULL,
    log_id    TEXT NOT NULL,
    date      TEXT NOT NULL,
    type      TEXT NOT NULL,
    client_id TEXT NOT NULL,
    attrs     TEXT NOT NULL,
    PRIMARY KEY (tenant, log_id)
){{WITHOUT_ROWID}};
INSERT INTO log_events_compact (tenant, log_id, date, type, client_id, attrs)
    SELECT tenant, log_id, date, type, client_id, attrs FROM log_events ORDER BY tenant, log_id;
DROP TABLE log_events;
ALTER TABLE log_events_compact RENAME TO log_events;
CREATE INDEX log_events_by_type ON log_events (tenant, type, log_id);
CREATE INDEX log_events_by_client ON log_events (tenant, client_id, log_id);
