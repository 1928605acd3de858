-- A q with both client_id and type reads log_events_by_client in log id
-- order and keeps the events of the type: with type in the index, that
-- test needs no row. A client's range is bounded by that client's traffic,
-- while a type's spans nearly the whole log, so this index is the one such
-- a query takes (SQLite is told so; PostgreSQL's statistics agree).
DROP INDEX log_events_by_client;
CREATE INDEX log_events_by_client ON log_events (tenant, client_id, log_id, type);
