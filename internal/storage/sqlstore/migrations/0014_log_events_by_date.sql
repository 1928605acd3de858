-- Retention deletes a tenant's oldest events in small batches; this index
-- finds them without reading the table.
CREATE INDEX log_events_by_date ON log_events (tenant, date);
