package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
)

// counting runs the real runner and counts the runs of each execution.
type counting struct {
	Runner
	mu   sync.Mutex
	runs map[string]int
}

func (c *counting) Run(ctx context.Context, trigger string, s hooks.Script, in hooks.Input, requestID string) hooks.Execution {
	c.mu.Lock()
	c.runs[requestID]++
	c.mu.Unlock()
	return c.Runner.Run(ctx, trigger, s, in, requestID)
}

// TestReplicasNeverShareARow: two replicas (two stores on one PostgreSQL
// schema, a worker each) drain the same outbox at once; every execution
// runs exactly once.
func TestReplicasNeverShareARow(t *testing.T) {
	if os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" || testing.Short() {
		t.Skip("PostgreSQL runs in make test (TOKENHOOK_SKIP_POSTGRES=1 or -short)")
	}
	dsn := os.Getenv("TOKENHOOK_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "tokenhook_outbox_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres at %s (set TOKENHOOK_SKIP_POSTGRES=1 to skip): %v", dsn, err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, _ := seal.New(key)
	engine, err := jsvm.NewInProcess(sandbox.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	hook := storage.Hook{Tenant: "t", ID: "hook1", Name: "notify", TriggerID: hooks.PostUserRegistration, Enabled: true,
		Script: `module.exports = function (user, context, cb) { setTimeout(function () { cb(); }, 5); };`, CreatedAt: now, UpdatedAt: now}
	runner := &counting{Runner: &hooks.Runner{Engine: engine}, runs: map[string]int{}}
	var workers []*Worker
	var first *sqlstore.Store
	for range 2 {
		store, err := sqlstore.Open(t.Context(), u.String(), sealer)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		if first == nil {
			first = store
		}
		workers = append(workers, &Worker{Store: store, Tenant: "t", Hooks: runner,
			Enabled: func(string) (*storage.Hook, bool) { return &hook, true }, Events: &events{},
			Now: func() time.Time { return now }, Lease: time.Minute})
	}
	const n = 40
	for i := range n {
		e, err := New("t", hooks.PostUserRegistration, hooks.Deferred{NewUser: &hooks.NewUser{ID: fmt.Sprint(i)}}, now, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		email := fmt.Sprintf("u%d@example.com", i)
		if err := first.CreateUser(t.Context(), storage.User{Tenant: "t", UserID: "auth0|" + fmt.Sprint(i), Connection: storage.DatabaseConnection,
			Email: email, CreatedAt: now, UpdatedAt: now}, e); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.Drain(t.Context()) }()
	}
	wg.Wait()
	if len(runner.runs) != n {
		t.Fatalf("%d executions ran, want %d", len(runner.runs), n)
	}
	for id, c := range runner.runs {
		if c != 1 {
			t.Fatalf("%s ran %d times", id, c)
		}
	}
	if left, _ := first.ListExecutions(t.Context(), "t"); len(left) != 0 {
		t.Fatalf("%d left pending", len(left))
	}
}
