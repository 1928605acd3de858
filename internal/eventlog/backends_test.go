package eventlog_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// backend is a real store and a way to hold its log_events table locked,
// as a stuck database (or an operator's long transaction) would.
type backend struct {
	name string
	// open opens another store on the same database.
	open func(t *testing.T) *sqlstore.Store
	// lock holds log_events locked until the returned func is called.
	lock func(t *testing.T) (unlock func())
}

func testSealer(t *testing.T) *seal.Sealer {
	s, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// backends runs f on SQLite and on PostgreSQL (the server at
// 127.0.0.1:5432 CI provides, or TOKENHOOK_TEST_POSTGRES_DSN;
// TOKENHOOK_SKIP_POSTGRES=1 skips it).
func backends(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) {
		path := sqlitetest.Path(t, "events.db")
		f(t, backend{
			name: "sqlite",
			open: func(t *testing.T) *sqlstore.Store { return openStore(t, path) },
			lock: func(t *testing.T) func() {
				db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
				if err != nil {
					t.Fatal(err)
				}
				conn, err := db.Conn(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				// A write transaction: every other writer waits, then
				// fails with SQLITE_BUSY.
				if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
					t.Fatal(err)
				}
				return func() {
					conn.ExecContext(context.Background(), "ROLLBACK")
					conn.Close()
					db.Close()
				}
			},
		})
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" {
			t.Skip("TOKENHOOK_SKIP_POSTGRES=1")
		}
		if testing.Short() {
			t.Skip("-short: PostgreSQL runs in make test")
		}
		dsn := os.Getenv("TOKENHOOK_TEST_POSTGRES_DSN")
		if dsn == "" {
			dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Close() })
		b := make([]byte, 6)
		rand.Read(b)
		schema := "tokenhook_eventlog_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatalf("postgres at %s (set TOKENHOOK_SKIP_POSTGRES=1 to skip): %v", dsn, err)
		}
		t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
		u, _ := url.Parse(dsn)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		f(t, backend{
			name: "postgres",
			open: func(t *testing.T) *sqlstore.Store { return openStore(t, u.String()) },
			lock: func(t *testing.T) func() {
				tx, err := admin.Begin()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec("LOCK TABLE " + schema + ".log_events IN ACCESS EXCLUSIVE MODE"); err != nil {
					t.Fatal(err)
				}
				return func() { tx.Rollback() }
			},
		})
	})
}

// eventually polls cond until it holds, failing after a minute: it waits
// for an event, not for a span of time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
