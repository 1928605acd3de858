package outbox

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Defaults of the delivery policy.
const (
	DefaultMaxAttempts = 5
	DefaultBackoff     = 5 * time.Second
	DefaultMaxBackoff  = 5 * time.Minute
	// DefaultPoll is how often a worker looks for due executions besides
	// being woken: what another replica stored, retries, expired leases.
	DefaultPoll = 2 * time.Second
	// batch bounds the executions claimed at once, which run concurrently.
	batch = 4
)

// LogType is the tenant log type of a failed execution: Auth0's "w"
// (warning); Auth0 logged no type of its own for these hooks.
const LogType = "w"

// New returns the pending execution of trigger with d, due at once.
func New(tenant, trigger string, d hooks.Deferred, now time.Time, rand io.Reader) (storage.Execution, error) {
	payload, err := json.Marshal(d)
	if err != nil {
		return storage.Execution{}, fmt.Errorf("outbox: %w", err)
	}
	id := make([]byte, 16)
	if _, err := io.ReadFull(rand, id); err != nil {
		return storage.Execution{}, fmt.Errorf("outbox: %w", err)
	}
	return storage.Execution{Tenant: tenant, ID: "exe_" + hex.EncodeToString(id), Trigger: trigger, Payload: payload,
		NextAt: now, CreatedAt: now}, nil
}

// Store is the part of storage the worker uses.
type Store interface {
	ClaimExecutions(ctx context.Context, tenant string, now time.Time, lease time.Duration, limit int) ([]storage.Execution, error)
	CompleteExecution(ctx context.Context, e storage.Execution) error
	RetryExecution(ctx context.Context, e storage.Execution, next time.Time, lastError string) error
}

// Runner runs a hook (implemented by *hooks.Runner).
type Runner interface {
	Run(ctx context.Context, trigger string, s hooks.Script, in hooks.Input, requestID string) hooks.Execution
}

// Events is the tenant log.
type Events interface{ Record(e storage.LogEvent) }

// Worker delivers a tenant's pending executions.
type Worker struct {
	Store  Store
	Tenant string
	Hooks  Runner
	// Enabled finds the enabled hook of a trigger when the execution runs:
	// a hook disabled or deleted since the write is not run.
	Enabled func(trigger string) (*storage.Hook, bool)
	Events  Events
	// Logs receives a line per failure in the hook's logs; nil: none.
	Logs *hooks.LogHub
	Log  *slog.Logger
	Now  func() time.Time
	// Lease is how long a claim keeps other replicas off a row: longer
	// than a hook may run, short enough that a crash delays the retry
	// little.
	Lease       time.Duration
	MaxAttempts int
	// Backoff is the delay after the first failure, doubled after each
	// next one up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	Poll                time.Duration

	wake chan struct{}
	once sync.Once
	done chan struct{}
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		w.done = make(chan struct{})
		if w.MaxAttempts <= 0 {
			w.MaxAttempts = DefaultMaxAttempts
		}
		if w.Backoff <= 0 {
			w.Backoff = DefaultBackoff
		}
		if w.MaxBackoff <= 0 {
			w.MaxBackoff = DefaultMaxBackoff
		}
		if w.Poll <= 0 {
			w.Poll = DefaultPoll
		}
		if w.Log == nil {
			w.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// Notify wakes the worker after a write stored an execution; it never
// blocks.
func (w *Worker) Notify() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: what is due at once (what a previous
// process left), then whenever woken or every Poll. Done is closed when
// it returns.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	defer close(w.done)
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		w.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
		}
	}
}

// Done is closed when Run has returned.
func (w *Worker) Done() <-chan struct{} {
	w.init()
	return w.done
}

// Drain runs every execution due now, until none is, and says how many
// it ran. Tests call it after stepping the clock.
func (w *Worker) Drain(ctx context.Context) int {
	w.init()
	n := 0
	for ctx.Err() == nil {
		list, err := w.Store.ClaimExecutions(ctx, w.Tenant, w.Now(), w.Lease, batch)
		if err != nil {
			if ctx.Err() == nil {
				w.Log.Warn("claiming hook executions", "err", err)
			}
			return n
		}
		if len(list) == 0 {
			return n
		}
		var wg sync.WaitGroup
		for _, e := range list {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.deliver(ctx, e)
			}()
		}
		wg.Wait()
		n += len(list)
	}
	return n
}

// deliver runs one claimed execution and records its outcome. When ctx
// ends during the run (shutdown), nothing is recorded: the lease runs out
// and the next process runs it again.
func (w *Worker) deliver(ctx context.Context, e storage.Execution) {
	var d hooks.Deferred
	if err := json.Unmarshal(e.Payload, &d); err != nil {
		w.failed(ctx, e, nil, "the stored execution is unreadable: "+err.Error(), true)
		return
	}
	hk, ok := w.Enabled(e.Trigger)
	if !ok {
		w.complete(ctx, e)
		return
	}
	ex := w.Hooks.Run(ctx, e.Trigger, hooks.ScriptOf(*hk), d.Input(), e.ID)
	if ctx.Err() != nil {
		return
	}
	if ex.Err == nil {
		w.complete(ctx, e)
		return
	}
	msg := ex.Err.Description
	if ex.Err.Cause != nil && msg == "" {
		msg = ex.Err.Cause.Error()
	}
	w.failed(ctx, e, hk, msg, e.Attempts >= w.MaxAttempts)
}

func (w *Worker) complete(ctx context.Context, e storage.Execution) {
	if err := w.Store.CompleteExecution(ctx, e); err != nil && ctx.Err() == nil {
		// The row stays; its lease ends and it runs again: at least once.
		w.Log.Warn("completing a hook execution", "id", e.ID, "err", err)
	}
}

// backoff is the delay before attempt+1.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.Backoff
	for i := 1; i < attempt && d < w.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.MaxBackoff)
}

func (w *Worker) failed(ctx context.Context, e storage.Execution, hk *storage.Hook, msg string, final bool) {
	now := w.Now().UTC()
	var text string
	if final {
		text = fmt.Sprintf("%s hook failed after %d attempts, giving up: %s", e.Trigger, e.Attempts, msg)
		w.complete(ctx, e)
	} else {
		next := now.Add(w.backoff(e.Attempts))
		text = fmt.Sprintf("%s hook failed (attempt %d of %d, retried at %s): %s", e.Trigger, e.Attempts, w.MaxAttempts,
			next.Format(time.RFC3339), msg)
		if err := w.Store.RetryExecution(ctx, e, next, msg); err != nil && ctx.Err() == nil {
			w.Log.Warn("rescheduling a hook execution", "id", e.ID, "err", err)
		}
	}
	details := map[string]any{"execution_id": e.ID, "trigger": e.Trigger, "attempt": e.Attempts,
		"max_attempts": w.MaxAttempts, "final": final}
	ev := storage.LogEvent{Tenant: w.Tenant, Date: now, Type: LogType, Description: text, Details: details}
	var d hooks.Deferred
	if json.Unmarshal(e.Payload, &d) == nil {
		switch {
		case d.NewUser != nil:
			ev.UserID, ev.UserName = "auth0|"+d.NewUser.ID, d.NewUser.Email
		case d.PasswordChange != nil:
			ev.UserID, ev.UserName = "auth0|"+d.PasswordChange.ID, d.PasswordChange.Email
		}
		ev.IP, ev.UserAgent = d.IP, d.UserAgent
	}
	if hk != nil {
		details["hook"] = map[string]any{"id": hk.ID, "name": hk.Name}
		if w.Logs != nil {
			w.Logs.Publish(hooks.LogEntry{Time: now, HookID: hk.ID, HookName: hk.Name, RequestID: e.ID, Level: "error", Text: text})
		}
	}
	w.Events.Record(ev)
}

// PasswordChanged is the pending post-change-password execution for u,
// whose password changed at at: stored by the caller in the update's
// transaction (storage.UpdateUserThen).
func PasswordChanged(u storage.User, at time.Time, rand io.Reader) (storage.Execution, error) {
	d := hooks.Deferred{
		PasswordChange: &hooks.PasswordChange{ID: strings.TrimPrefix(u.UserID, "auth0|"), Username: u.Username, Email: u.Email,
			LastPasswordReset: at.UTC().Format("2006-01-02T15:04:05.000Z")},
		ConnectionID: storage.DatabaseConnectionID(u.Tenant), ConnectionName: storage.DatabaseConnection, Tenant: u.Tenant,
	}
	return New(u.Tenant, hooks.PostChangePassword, d, at, rand)
}
