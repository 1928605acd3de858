package sqlstore

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

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage/storagetest"
)

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	s, err := newTestSealer()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestSealer() (*seal.Sealer, error) { return seal.New(bytes.Repeat([]byte{7}, 32)) }

// migrated is the schema every store of openSQLiteTest starts from, built
// once per test binary by Open's own migrations (the package's other
// tests open fresh files and run them again).
var migrated = storagetest.NewFileTemplate(func(path string) error {
	sealer, err := newTestSealer()
	if err != nil {
		return err
	}
	s, err := Open(context.Background(), path, sealer)
	if err != nil {
		return err
	}
	return s.Close()
})

// openSQLiteTest opens a store on a fresh copy of the migrated template in
// t's temp dir.
func openSQLiteTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := migrated.Path(t, "tokenhook.db")
	s, err := Open(t.Context(), path, testSealer(t))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// postgresDSN is the server CI guarantees; TOKENHOOK_TEST_POSTGRES_DSN
// points the tests elsewhere.
func postgresDSN() string {
	if dsn := os.Getenv("TOKENHOOK_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// postgresAdmin connects to the test server. An unreachable server fails
// the test: CI guarantees one, so a silent skip would hide lost coverage.
// TOKENHOOK_SKIP_POSTGRES=1 is the explicit opt-out.
func postgresAdmin(t *testing.T) *sql.DB {
	t.Helper()
	if os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" {
		t.Skip("TOKENHOOK_SKIP_POSTGRES=1")
	}
	if testing.Short() {
		t.Skip("-short (make test-unit): PostgreSQL runs in make test")
	}
	db, err := sql.Open("pgx", postgresDSN())
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("postgres at %s unreachable (set TOKENHOOK_SKIP_POSTGRES=1 to skip): %v", postgresDSN(), err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// freshSchema creates a uniquely named schema, drops it when t ends, and
// returns a DSN whose search_path selects it.
func freshSchema(t *testing.T, admin *sql.DB) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "tokenhook_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(postgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgresAt opens a store on dsn and closes it when t ends (before the
// schema is dropped: cleanups run last-registered first).
func openPostgresAt(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, testSealer(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver
