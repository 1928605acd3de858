package sqlstore

import (
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func TestSQLiteURI(t *testing.T) {
	cases := []struct {
		dsn, want string
		wantErr   bool
	}{
		{dsn: "/var/lib/tokenhook/data.db", want: "file:/var/lib/tokenhook/data.db"},
		{dsn: "data.db", want: "file:data.db"},
		{dsn: "sqlite:/var/lib/t.db", want: "file:/var/lib/t.db"},
		{dsn: "sqlite:///var/lib/t.db", want: "file:/var/lib/t.db"},
		{dsn: "file:/var/lib/t.db?cache=private", want: "file:/var/lib/t.db?cache=private"},
		{dsn: "/odd/na?me#1%.db", want: "file:/odd/na%3fme%231%25.db"},
		{dsn: "", wantErr: true},
		{dsn: "sqlite:", wantErr: true},
		{dsn: ":memory:", wantErr: true},
		{dsn: "file:x?mode=memory", wantErr: true},
	}
	for _, tc := range cases {
		got, err := sqliteURI(tc.dsn)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("sqliteURI(%q) = %q, %v; want %q, error %v", tc.dsn, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestSQLiteOddPathAndReopen opens a path with URI-special characters
// through the sqlite: form, and reopens it: data and migrations persist.
func TestSQLiteOddPathAndReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "we?ird#name.db")
	s, err := Open(ctx, "sqlite:"+path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, testSealer(t))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GetClient(ctx, "t", "c"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(migs) {
		t.Fatalf("schema_migrations rows = %d, %v; want one per migration (%d)", n, err, len(migs))
	}
	var mode string
	if err := s.reader.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestSQLiteTwoStoresOneFile stands in for two processes on one file: their
// writers contend through SQLite's lock, which busy_timeout must absorb.
func TestSQLiteTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	stores := make([]*Store, 2)
	for i := range stores {
		s, err := Open(ctx, path, testSealer(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for range 20 {
				_, err := s.UpdateTenantSettings(ctx, "t", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
					n, _ := strconv.Atoi(ts.FriendlyName)
					ts.FriendlyName = strconv.Itoa(n + 1)
					return ts, nil
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("write failed: %v", err)
	}
	ts, err := stores[0].GetTenantSettings(ctx, "t")
	if err != nil || ts.FriendlyName != "160" {
		t.Fatalf("count = %q, %v; want 160", ts.FriendlyName, err)
	}
}
