package sqlstore

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// TestSQLiteFilesArePrivate checks that the database and its WAL are
// created readable by the owner only, whatever the umask, and that a file
// an older version created 0644 is restricted when opened.
func TestSQLiteFilesArePrivate(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenhook.db")
	s, err := Open(ctx, path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: "c", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group or other access", filepath.Base(p), fi.Mode().Perm())
		}
	}
	s.Close()

	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	s, err = Open(ctx, old, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("existing 0644 file: mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

// TestOperatorPasswordsSealedOnUpgrade writes an operator the way versions
// before migration 0013 did (a plain bcrypt hash in password_hash) and
// reopens the store: the hash is sealed at Open, readable as before, and
// no longer in plain text in its column.
func TestOperatorPasswordsSealedOnUpgrade(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := t.Context()
			var dsn string
			if backend == "sqlite" {
				dsn = filepath.Join(t.TempDir(), "up.db")
			} else {
				dsn = freshSchema(t, postgresAdmin(t))
			}
			s, err := Open(ctx, dsn, testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			const legacy = "$2a$10$LEGACY-PLAIN-OPERATOR-HASH"
			now := formatTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			if _, err := s.writer.ExecContext(ctx, s.d.bind("INSERT INTO operators (tenant, id, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"),
				"t", "op1", "ada@example.com", legacy, now, now); err != nil {
				t.Fatal(err)
			}
			s.Close()

			s, err = Open(ctx, dsn, testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			o, err := s.GetOperatorByEmail(ctx, "t", "ada@example.com")
			if err != nil || o.PasswordHash != legacy {
				t.Fatalf("after upgrade: hash %q, %v; want the legacy hash", o.PasswordHash, err)
			}
			var plain string
			var sealed []byte
			if err := s.reader.QueryRowContext(ctx, s.d.bind("SELECT password_hash, password_sealed FROM operators WHERE id = ?"), "op1").Scan(&plain, &sealed); err != nil {
				t.Fatal(err)
			}
			if plain != "" || len(sealed) == 0 {
				t.Fatalf("row after upgrade: password_hash %q, %d sealed bytes; want '' and a sealed value", plain, len(sealed))
			}
		})
	}
}
