// Package outbox runs the hooks of the asynchronous points
// (post-user-registration, post-change-password) from pending executions
// that the triggering write stored in its own transaction
// (storage.Outbox): at least once per committed write, after a crash too,
// with bounded retries and backoff, failures written to the tenant log and
// to the hook's logs. The request that triggered a point never waits for
// its hook. Replicas sharing a PostgreSQL database claim rows with a
// lease, so two never run the same row at once.
package outbox
