package sqlstore

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// recv waits up to d for a change equal to want, skipping others; want's
// Key and Seq are compared only when set.
func recv(t *testing.T, ch <-chan storage.Change, want storage.Change, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed while waiting for %+v", want)
			}
			if c.Tenant == want.Tenant && c.Kind == want.Kind &&
				(want.Key == "" || c.Key == want.Key) && (want.Seq == 0 || c.Seq == want.Seq) {
				return
			}
		case <-deadline:
			t.Fatalf("no %+v within %v", want, d)
		}
	}
}

// TestPostgresReplicasSeeEachOthersChanges is two replicas on one schema:
// a write through either must reach the other's subscribers within 1 s.
func TestPostgresReplicasSeeEachOthersChanges(t *testing.T) {
	dsn := freshSchema(t, postgresAdmin(t))
	a, b := openPostgresAt(t, dsn), openPostgresAt(t, dsn)
	ctx := t.Context()
	fromA, fromB := a.Subscribe(ctx), b.Subscribe(ctx)

	if err := a.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	// Both hear the client's key and its place in the tenant's sequence.
	recv(t, fromB, storage.Change{Tenant: "t", Kind: "clients", Key: "c", Seq: 1}, time.Second)
	recv(t, fromA, storage.Change{Tenant: "t", Kind: "clients", Key: "c", Seq: 1}, time.Second)

	if _, err := b.UpdateSigningKeys(ctx, "t2", func([]storage.SigningKey) ([]storage.SigningKey, error) {
		return []storage.SigningKey{{KID: "k", PrivateKey: []byte("x"), State: "current"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	recv(t, fromA, storage.Change{Tenant: "t2", Kind: "signing_keys"}, time.Second)
	// And b's reads see a's write: same database, not a cache.
	if _, err := b.GetClient(ctx, "t", "c"); err != nil {
		t.Fatalf("replica b cannot read a's client: %v", err)
	}
}

// TestPostgresOtherSchemasAreNotHeard: NOTIFY channels are database-wide,
// so a store must ignore changes made in another schema.
func TestPostgresOtherSchemasAreNotHeard(t *testing.T) {
	admin := postgresAdmin(t)
	mine, theirs := openPostgresAt(t, freshSchema(t, admin)), openPostgresAt(t, freshSchema(t, admin))
	ctx := t.Context()
	ch := mine.Subscribe(ctx)
	if err := theirs.CreateClient(ctx, storage.Client{Tenant: "foreign", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := mine.CreateClient(ctx, storage.Client{Tenant: "own", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case c := <-ch:
			if c.Tenant == "foreign" {
				t.Fatalf("heard another schema's change %+v", c)
			}
			if c.Tenant == "own" {
				return
			}
		case <-deadline:
			t.Fatal("own change never arrived")
		}
	}
}

// TestPostgresListenerReconnects kills the listener's backend: the store
// must reconnect, tell subscribers to resync, and keep delivering.
func TestPostgresListenerReconnects(t *testing.T) {
	admin := postgresAdmin(t)
	dsn := freshSchema(t, admin)
	s, writer := openPostgresAt(t, dsn), openPostgresAt(t, dsn)
	ctx := t.Context()
	ch := s.Subscribe(ctx)

	res, err := admin.ExecContext(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", s.listener.appName)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("found %d listener backends named %q, want 1", n, s.listener.appName)
	}
	recv(t, ch, storage.Change{Kind: storage.KindResync}, 10*time.Second)

	// Changes from this store and from another replica arrive again.
	if err := writer.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: "after"}); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, storage.Change{Tenant: "t", Kind: "clients"}, time.Second)
	if _, err := s.UpdateTenantSettings(ctx, "t", func(ts storage.TenantSettings) (storage.TenantSettings, error) { return ts, nil }); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, storage.Change{Tenant: "t", Kind: "settings"}, time.Second)
}

// TestPostgresConcurrentOpenMigratesOnce starts several replicas on an
// empty schema at once; the advisory lock must let exactly one migrate.
func TestPostgresConcurrentOpenMigratesOnce(t *testing.T) {
	admin := postgresAdmin(t)
	dsn := freshSchema(t, admin)
	const replicas = 4
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(t.Context(), dsn, testSealer(t))
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	s := openPostgresAt(t, dsn)
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.reader.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(migs) {
		t.Fatalf("schema_migrations rows = %d, %v; want one per migration (%d)", n, err, len(migs))
	}
}

// TestPostgresReplicasShareHookStorage: a hook's storage document written
// through one replica is read and conditionally written through another,
// and a write based on a version the other replica replaced is refused.
func TestPostgresReplicasShareHookStorage(t *testing.T) {
	dsn := freshSchema(t, postgresAdmin(t))
	a, b := openPostgresAt(t, dsn), openPostgresAt(t, dsn)
	ctx := t.Context()
	if err := a.CreateHook(ctx, storage.Hook{Tenant: "t", ID: "h", Name: "h", TriggerID: "credentials-exchange", Script: "x"}); err != nil {
		t.Fatal(err)
	}
	v1, err := a.SetHookDocument(ctx, "t", "h", []byte(`{"n":1}`), "", false)
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.GetHookDocument(ctx, "t", "h")
	if err != nil || string(d.Data) != `{"n":1}` || d.Version != v1 {
		t.Fatalf("replica b reads %s at %q, %v; want a's write at %q", d.Data, d.Version, err, v1)
	}
	if _, err := b.SetHookDocument(ctx, "t", "h", []byte(`{"n":2}`), v1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetHookDocument(ctx, "t", "h", []byte(`{"n":"lost"}`), v1, false); !errors.Is(err, storage.ErrStaleVersion) {
		t.Fatalf("a's write based on the replaced version: %v, want ErrStaleVersion", err)
	}
}
