// Package sqlstore is the SQL implementation of storage.Storage, for SQLite
// (modernc.org/sqlite, pure Go, so the binary stays cgo-free) and PostgreSQL
// (pgx). Both dialects share every query through database/sql; dialect.go
// holds the few differences (placeholders, BLOB vs BYTEA, FOR UPDATE,
// isolation, locks, unique-violation codes). PostgreSQL goes through pgx's
// stdlib adapter rather than pgxpool precisely so the query code is one
// code path; the LISTEN connection is the one place that uses a raw pgx.Conn,
// because database/sql cannot wait for notifications. Identity and indexed
// fields are columns and every other attribute is a JSON text column, so new
// record fields need no migration; times are fixed-width UTC text so they
// sort and compare the same on both dialects. Secrets are sealed with
// seal.Sealer, bound to their row by associated data, before any write.
// SQLite runs in WAL mode with one writer connection (BEGIN IMMEDIATE), so
// writers in this process queue instead of failing with SQLITE_BUSY, and a
// separate read-only pool reads concurrently. Change notification is
// in-process after commit on SQLite; on PostgreSQL it is pg_notify inside
// the write transaction plus one listener connection per Store, which also
// hears this process's own writes, so every change is delivered exactly once
// per subscriber however many replicas share the database.
package sqlstore
