// Package catalog keeps an in-memory, immutable snapshot of what the token
// endpoint reads (applications, APIs, client grants, signing keys, tenant
// settings, enabled hooks), so a warm token request never touches the
// database.
//
// A snapshot is rebuilt whole from storage.LoadCatalog, never patched:
// rebuilding is simple to get right and cheap next to how rarely these
// records change. Rebuilds are triggered by storage change notifications
// (which cross replicas on PostgreSQL), synchronously after this process's
// own Management API writes (read-your-writes), and by a periodic safety
// refresh. Readers load the current snapshot with one atomic pointer read.
package catalog
