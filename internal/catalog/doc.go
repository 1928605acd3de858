// Package catalog keeps an in-memory, immutable snapshot of what the token
// endpoint reads (applications, APIs, client grants, signing keys, tenant
// settings, enabled hooks), so a warm token request never touches the
// database.
//
// A snapshot is built whole from storage.LoadCatalog at start-up; after
// that each storage change (storage.Change, numbered by the tenant's
// catalog change log) is applied on its own: the changed record is re-read
// and a new snapshot shares every untouched shard with the old one, so a
// write costs the same however large the tenant. Changes come from storage
// notifications (which cross replicas on PostgreSQL), synchronously after
// this process's own writes (read-your-writes), and from the change log
// when a notification was missed or a minute passed. Readers load the
// current snapshot with one atomic pointer read and never lock.
package catalog
