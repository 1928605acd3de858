package sqlstore

import (
	"fmt"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// bothBackends runs f on a fresh SQLite store and a fresh PostgreSQL schema.
func bothBackends(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := openSQLiteTest(t)
		f(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, openPostgresAt(t, freshSchema(t, postgresAdmin(t))))
	})
}

// TestChangeLogKeepsOnlyRecentChanges: past the limit the oldest changes
// go, and a reader from before them sees the gap (its first change is not
// the one it asked to follow).
func TestChangeLogKeepsOnlyRecentChanges(t *testing.T) {
	bothBackends(t, func(t *testing.T, s *Store) {
		s.keepChanges = 3
		ctx := t.Context()
		for i := range 6 {
			if err := s.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: fmt.Sprint("c", i)}); err != nil {
				t.Fatal(err)
			}
		}
		got, latest, err := s.CatalogChanges(ctx, "t", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if latest != 6 || len(got) != 3 || got[0].Seq != 4 || got[0].Key != "c3" {
			t.Fatalf("log after 6 writes keeping 3: %+v latest %d", got, latest)
		}
	})
}

// TestImportClientsIsOneChange: a bulk load is one transaction and one
// change naming no client, so caches read the clients whole.
func TestImportClientsIsOneChange(t *testing.T) {
	bothBackends(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		var list []storage.Client
		for i := range 50 {
			list = append(list, storage.Client{Tenant: "t", ClientID: fmt.Sprint("c", i), Secret: "s"})
		}
		if err := s.ImportClients(ctx, list); err != nil {
			t.Fatal(err)
		}
		got, latest, err := s.CatalogChanges(ctx, "t", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if latest != 1 || len(got) != 1 || got[0].Kind != "clients" || got[0].Key != "" {
			t.Fatalf("import announced %+v latest %d", got, latest)
		}
		c, err := s.GetClient(ctx, "t", "c49")
		if err != nil || c.Secret != "s" {
			t.Fatalf("imported client: %+v %v", c, err)
		}
		// One failing row stores none.
		bad := []storage.Client{{Tenant: "t", ClientID: "new"}, {Tenant: "t", ClientID: "c0"}}
		if err := s.ImportClients(ctx, bad); err == nil {
			t.Fatal("import over an existing client succeeded")
		}
		if _, err := s.GetClient(ctx, "t", "new"); err == nil {
			t.Fatal("a failed import kept a row")
		}
		var users []storage.User
		for i := range 20 {
			users = append(users, storage.User{Tenant: "t", UserID: fmt.Sprint("auth0|", i), Connection: storage.DatabaseConnection,
				Email: fmt.Sprint("u", i, "@example.com")})
		}
		if err := s.ImportUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		if _, n, err := s.ListUsers(ctx, "t", storage.UserQuery{}); err != nil || n != 20 {
			t.Fatalf("imported users: %d %v", n, err)
		}
	})
}
