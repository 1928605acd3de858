package storage

import (
	"context"
	"time"
)

// Execution is a pending run of an asynchronous point's hook: a row of the
// outbox. The write that triggers the point (a new user, a new password)
// stores it in the same transaction, so the hook runs at least once for
// every committed write, even when the process dies right after it.
type Execution struct {
	Tenant  string
	ID      string // unique across tenants
	Trigger string
	// Payload is what the trigger site knew (the hook's user and request
	// context) as JSON, decoded by the worker when it runs the hook.
	Payload []byte
	// Attempts counts the claims so far; a claim increments it, and
	// CompleteExecution and RetryExecution act only while it is unchanged,
	// so a replica whose lease ran out cannot undo a newer claim.
	Attempts int
	// NextAt is when the execution is next due: its creation, the end of a
	// claim's lease, or the retry its backoff chose.
	NextAt    time.Time
	CreatedAt time.Time
	LastError string
}

// Outbox is the persistence of pending executions. The rows are written
// by CreateUser and UpdateUserThen.
type Outbox interface {
	// ClaimExecutions leases up to limit of the tenant's executions due at
	// now, oldest first: each gets Attempts+1 and NextAt = now+lease, in one
	// statement. Replicas sharing the database never claim the same row
	// while its lease lasts; a claim whose process died is due again when
	// the lease ends.
	ClaimExecutions(ctx context.Context, tenant string, now time.Time, lease time.Duration, limit int) ([]Execution, error)
	// CompleteExecution deletes a claimed execution (it ran, or gave up).
	CompleteExecution(ctx context.Context, e Execution) error
	// RetryExecution makes a claimed execution due again at next.
	RetryExecution(ctx context.Context, e Execution, next time.Time, lastError string) error
	// ListExecutions returns the tenant's pending executions, oldest first.
	ListExecutions(ctx context.Context, tenant string) ([]Execution, error)
}
