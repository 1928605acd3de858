package outbox

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

type events struct {
	mu   sync.Mutex
	list []storage.LogEvent
}

func (e *events) Record(ev storage.LogEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

type fixture struct {
	store  *sqlstore.Store
	worker *Worker
	events *events
	now    time.Time
	hook   storage.Hook
	logs   <-chan hooks.LogEntry
}

// newFixture is a real SQLite store and the in-process engine running
// script as the enabled post-user-registration hook; the clock is the
// test's.
func newFixture(t *testing.T, script string) *fixture {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(t.Context(), sqlitetest.Path(t, "db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	engine, err := jsvm.NewInProcess(sandbox.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	hub := hooks.NewLogHub()
	f := &fixture{store: store, events: &events{}, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		hook: storage.Hook{Tenant: "t", ID: "hook1", Name: "notify", Script: script, TriggerID: hooks.PostUserRegistration, Enabled: true},
		logs: hub.Subscribe(t.Context())}
	f.hook.CreatedAt, f.hook.UpdatedAt = f.now, f.now
	if err := store.CreateHook(t.Context(), f.hook); err != nil {
		t.Fatal(err)
	}
	f.worker = &Worker{Store: store, Tenant: "t", Hooks: &hooks.Runner{Engine: engine, Storage: store, Logs: hub},
		Enabled: func(trigger string) (*storage.Hook, bool) { return &f.hook, trigger == f.hook.TriggerID },
		Events:  f.events, Logs: hub, Now: func() time.Time { return f.now }, Lease: time.Minute,
		MaxAttempts: 3, Backoff: 10 * time.Second, MaxBackoff: 15 * time.Second}
	return f
}

func (f *fixture) signup(t *testing.T, email string) {
	t.Helper()
	e, err := New("t", hooks.PostUserRegistration, hooks.Deferred{NewUser: &hooks.NewUser{ID: "u-" + email, Tenant: "t", Email: email},
		ConnectionID: "con_x", ConnectionName: storage.DatabaseConnection, Tenant: "t"}, f.now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u := storage.User{Tenant: "t", UserID: "auth0|u-" + email, Connection: storage.DatabaseConnection, Email: email, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.CreateUser(t.Context(), u, e); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) pending(t *testing.T) []storage.Execution {
	t.Helper()
	list, err := f.store.ListExecutions(t.Context(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestDeliversOnceAndCompletes(t *testing.T) {
	f := newFixture(t, `module.exports = function (user, context, cb) {
  context.webtask.storage.get(function (err, data) {
    data = data || {seen: []};
    data.seen.push(user.id + ' ' + context.connection.id);
    context.webtask.storage.set(data, function () { cb(null, {ignored: true}); });
  });
};`)
	f.signup(t, "a@example.com")
	if n := f.worker.Drain(t.Context()); n != 1 {
		t.Fatalf("ran %d", n)
	}
	if n := f.worker.Drain(t.Context()); n != 0 {
		t.Fatalf("ran %d again", n)
	}
	if p := f.pending(t); len(p) != 0 {
		t.Fatalf("pending after success: %+v", p)
	}
	doc, err := f.store.GetHookDocument(t.Context(), "t", "hook1")
	if err != nil || !strings.Contains(string(doc.Data), `"u-a@example.com con_x"`) {
		t.Fatalf("the hook did not see its user and connection: %s %v", doc.Data, err)
	}
	if len(f.events.list) != 0 {
		t.Fatalf("a success logged %+v", f.events.list)
	}
}

func TestRetriesWithBackoffThenGivesUp(t *testing.T) {
	f := newFixture(t, `module.exports = function (user, context, cb) { cb(new Error('crm is down')); };`)
	f.signup(t, "a@example.com")
	wantNext := []time.Duration{10 * time.Second, 15 * time.Second}
	for attempt := 1; attempt <= 3; attempt++ {
		if n := f.worker.Drain(t.Context()); n != 1 {
			t.Fatalf("attempt %d: ran %d", attempt, n)
		}
		ev := f.events.list[len(f.events.list)-1]
		if ev.Type != LogType || ev.UserID != "auth0|u-a@example.com" || !strings.Contains(ev.Description, "crm is down") ||
			ev.Details["attempt"] != attempt || ev.Details["final"] != (attempt == 3) {
			t.Fatalf("attempt %d logged %+v", attempt, ev)
		}
		select {
		case l := <-f.logs:
			if l.HookID != "hook1" || l.Level != "error" || !strings.Contains(l.Text, "crm is down") {
				t.Fatalf("hook log %+v", l)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no line in the hook's logs")
		}
		p := f.pending(t)
		if attempt == 3 {
			if len(p) != 0 {
				t.Fatalf("still pending after the last attempt: %+v", p)
			}
			break
		}
		if len(p) != 1 || !p[0].NextAt.Equal(f.now.Add(wantNext[attempt-1])) || p[0].LastError != "crm is down" {
			t.Fatalf("after attempt %d: %+v", attempt, p)
		}
		// Not due before its backoff ends.
		f.now = f.now.Add(wantNext[attempt-1] - time.Millisecond)
		if n := f.worker.Drain(t.Context()); n != 0 {
			t.Fatalf("ran before the backoff ended")
		}
		f.now = f.now.Add(time.Millisecond)
	}
}

func TestExpiredLeaseRunsAgain(t *testing.T) {
	f := newFixture(t, `module.exports = function (user, context, cb) { cb(); };`)
	f.signup(t, "a@example.com")
	// A process claimed it and died: nothing runs during the lease.
	if _, err := f.store.ClaimExecutions(t.Context(), "t", f.now, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if n := f.worker.Drain(t.Context()); n != 0 {
		t.Fatalf("ran a leased execution")
	}
	f.now = f.now.Add(time.Minute)
	if n := f.worker.Drain(t.Context()); n != 1 {
		t.Fatalf("ran %d after the lease", n)
	}
	if p := f.pending(t); len(p) != 0 {
		t.Fatalf("pending: %+v", p)
	}
}

func TestDisabledHookIsNotRun(t *testing.T) {
	f := newFixture(t, `module.exports = function (user, context, cb) { cb(new Error('must not run')); };`)
	f.signup(t, "a@example.com")
	f.hook.TriggerID = "other"
	if n := f.worker.Drain(context.Background()); n != 1 || len(f.pending(t)) != 0 || len(f.events.list) != 0 {
		t.Fatalf("ran %d, pending %v, events %v", n, f.pending(t), f.events.list)
	}
}
