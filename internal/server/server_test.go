package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// TestFailedNewStopsWhatItStarted makes the last fallible step of New
// (the operator bootstrap) fail on a real SQLite database, after the
// event-log writer, the catalog's listener and the hook engine have
// started: New must stop all of them, leaving no goroutine behind.
func TestFailedNewStopsWhatItStarted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HookIsolation = "none" // worker processes would be this test binary
	// The admin password's hash is not under test: the cheapest cost.
	cfg.BcryptCost = 4
	// Neither is the first start's key generation: the shared test keys.
	servertest.SeedKeys(t, cfg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(ctx, cfg, log, io.Discard) // first start: bootstraps the database
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(cfg.DataDir, server.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TRIGGER refuse_operators BEFORE INSERT ON operators
		BEGIN SELECT RAISE(ABORT, 'operators refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.AdminEmail, cfg.AdminPassword = "ops@example.com", "a-long-password"
	if _, err := server.New(ctx, cfg, log, io.Discard); err == nil || !strings.Contains(err.Error(), "operators refused by the test") {
		t.Fatalf("New = %v, want the operator bootstrap's failure", err)
	}
	// Close returns once the writer has stopped; the catalog's goroutines
	// end when they see their context cancelled, so wait for that.
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := ours()
		if left == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left running after a failed New:\n%s", left)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ours returns the stacks of the goroutines a server starts (event-log
// writer, catalog, dashboard sweeper, hook engine), "" when none runs.
func ours() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	var out []string
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(g, "TestFailedNew") {
			continue
		}
		for _, pkg := range []string{"internal/eventlog.", "internal/catalog.", "internal/dashboard.", "internal/hooks/", "internal/storage/sqlstore."} {
			if strings.Contains(g, pkg) {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}
