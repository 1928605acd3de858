// Package storage defines what tokenhook persists: the records (clients,
// APIs, client grants, signing keys, tenant settings, log events, hooks,
// each hook's webtask storage document and the npm lockfiles of hooks'
// dependency trees; users with their login statistics and failed-login
// counters; dashboard operators and their sessions), the sentinel errors
// and the Storage contract every backend implements.
//
// Rules every backend follows (pinned by storage/storagetest):
//   - every record belongs to a tenant and every read is scoped by it;
//   - updates are read-modify-write functions run in one transaction, so a
//     field added later is never dropped by an older caller;
//   - secrets (client secrets, signing keys, hook secrets) are sealed before
//     they reach the database and opened only when read back;
//   - every committed change to what the token endpoint caches is announced
//     through Subscribe, across processes where the backend is shared;
//   - a hook's storage document is written only conditionally on the
//     version its writer read (or by force), atomically, so replicas
//     sharing a database never lose each other's writes.
package storage
