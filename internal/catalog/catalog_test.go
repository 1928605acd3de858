package catalog_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

func open(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(t.Context(), dsn, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newCache(t *testing.T, s storage.Storage) *catalog.Cache {
	t.Helper()
	c, err := catalog.New(t.Context(), s, "t", time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func client(id string) storage.Client {
	return storage.Client{Tenant: "t", ClientID: id, Secret: "s-" + id, GrantTypes: []string{"client_credentials"}}
}

// TestCatchUpAppliesMissedChangesOneByOne: two stores on one SQLite file
// hear nothing of each other's writes, as a replica whose notifications
// were lost. CatchUp (what a resync and the minute's backstop do) applies
// them from the change log without a whole rebuild; a bulk change that
// names no record rebuilds once.
func TestCatchUpAppliesMissedChangesOneByOne(t *testing.T) {
	path := sqlitetest.Path(t, "catalog.db")
	mine, other := open(t, path), open(t, path)
	ctx := t.Context()
	if err := mine.CreateClient(ctx, client("keep")); err != nil {
		t.Fatal(err)
	}
	c := newCache(t, mine)
	start := c.Stats()

	if err := other.CreateClient(ctx, client("new")); err != nil {
		t.Fatal(err)
	}
	if err := other.CreateResourceServer(ctx, storage.ResourceServer{Tenant: "t", ID: "rs", Identifier: "https://a/"}); err != nil {
		t.Fatal(err)
	}
	if err := other.CreateClientGrant(ctx, storage.ClientGrant{Tenant: "t", ID: "g", ClientID: "new", Audience: "https://a/", Scope: []string{"read"}}); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteClient(ctx, "t", "keep"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Snapshot().Client("new"); ok {
		t.Fatal("the cache heard of another store's write on SQLite; the test needs it not to")
	}
	if err := c.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	snap := c.Snapshot()
	if _, ok := snap.Client("new"); !ok {
		t.Fatal("missed client create not applied")
	}
	if _, ok := snap.Client("keep"); ok {
		t.Fatal("missed client delete not applied")
	}
	if g, ok := snap.Grant("new", "https://a/"); !ok || g.Scope[0] != "read" {
		t.Fatal("missed grant not applied")
	}
	if _, ok := snap.API("https://a/"); !ok {
		t.Fatal("missed API not applied")
	}
	if snap.Seq != other.CommittedCatalogSeq("t") {
		t.Fatalf("snapshot at %d, store at %d", snap.Seq, other.CommittedCatalogSeq("t"))
	}
	if got := c.Stats(); got.Rebuilds != start.Rebuilds {
		t.Fatalf("catching up rebuilt whole %d times", got.Rebuilds-start.Rebuilds)
	}
	if n, _, _ := snap.Counts(); n != 1 {
		t.Fatalf("%d clients, want 1", n)
	}

	if err := other.ImportClients(ctx, []storage.Client{client("b1"), client("b2")}); err != nil {
		t.Fatal(err)
	}
	if err := c.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Snapshot().Client("b2"); !ok {
		t.Fatal("bulk import not applied")
	}
	if got := c.Stats(); got.Rebuilds != start.Rebuilds+1 {
		t.Fatalf("bulk import: %d rebuilds, want 1", got.Rebuilds-start.Rebuilds)
	}
}

// TestSnapshotsAreNotChangedInPlace: a reader holding an older snapshot
// keeps seeing it whole while changes are applied.
func TestSnapshotsAreNotChangedInPlace(t *testing.T) {
	s := open(t, sqlitetest.Path(t, "catalog.db"))
	ctx := t.Context()
	for _, id := range []string{"a", "b", "c"} {
		if err := s.CreateClient(ctx, client(id)); err != nil {
			t.Fatal(err)
		}
	}
	c := newCache(t, s)
	old := c.Snapshot()
	if err := s.DeleteClient(ctx, "t", "b"); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Snapshot().Client("b"); ok {
		t.Fatal("delete not applied")
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, ok := old.Client(id); !ok {
			t.Fatalf("the old snapshot lost %s", id)
		}
	}
}

func postgresDSN(t *testing.T) string {
	t.Helper()
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
	schema := "tokenhook_catalog_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres at %s (TOKENHOOK_SKIP_POSTGRES=1 skips): %v", dsn, err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestAnotherReplicasWritesAreAppliedFromNotifications: on PostgreSQL a
// write through one store reaches a cache on another through its
// notification, record by record, with no whole rebuild.
func TestAnotherReplicasWritesAreAppliedFromNotifications(t *testing.T) {
	dsn := postgresDSN(t)
	mine, other := open(t, dsn), open(t, dsn)
	c := newCache(t, mine)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := c.Stats()

	if err := other.CreateClient(ctx, client("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitFor(ctx, other.CommittedCatalogSeq("t")); err != nil {
		t.Fatalf("the create never arrived: %v", err)
	}
	if _, ok := c.Snapshot().Client("x"); !ok {
		t.Fatal("client not applied")
	}
	if _, err := other.UpdateClient(ctx, "t", "x", func(cl storage.Client) (storage.Client, error) { cl.Name = "renamed"; return cl, nil }); err != nil {
		t.Fatal(err)
	}
	if err := other.CreateHook(ctx, storage.Hook{Tenant: "t", ID: "h", Name: "h", TriggerID: "credentials-exchange", Enabled: true, Script: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitFor(ctx, other.CommittedCatalogSeq("t")); err != nil {
		t.Fatalf("the update never arrived: %v", err)
	}
	if cl, _ := c.Snapshot().Client("x"); cl.Name != "renamed" {
		t.Fatalf("update not applied: %+v", cl)
	}
	if _, ok := c.Snapshot().EnabledHook("credentials-exchange"); !ok {
		t.Fatal("hook not applied")
	}
	if err := other.DeleteClient(ctx, "t", "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitFor(ctx, other.CommittedCatalogSeq("t")); err != nil {
		t.Fatalf("the delete never arrived: %v", err)
	}
	if _, ok := c.Snapshot().Client("x"); ok {
		t.Fatal("delete not applied")
	}
	if got := c.Stats(); got.Rebuilds != start.Rebuilds {
		t.Fatalf("%d whole rebuilds for single-record changes", got.Rebuilds-start.Rebuilds)
	}
}

// deployAction creates an Action for credentials-exchange and deploys its
// draft as version versionID.
func deployAction(t *testing.T, s storage.Storage, id, versionID string) {
	t.Helper()
	ctx := t.Context()
	a := storage.Action{Tenant: "t", ID: id, Name: "action-" + id, Code: "// " + id, Runtime: "node22",
		SupportedTriggers: []storage.ActionTrigger{{ID: "credentials-exchange", Version: "v2"}}, Status: storage.ActionBuilt}
	if err := s.CreateAction(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeployAction(ctx, "t", id, func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
		return storage.ActionVersion{ID: versionID, Code: a.Code, Runtime: a.Runtime, Status: storage.ActionBuilt}, a, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func bind(t *testing.T, s storage.Storage, actionIDs ...string) {
	t.Helper()
	var list []storage.ActionBinding
	for _, id := range actionIDs {
		list = append(list, storage.ActionBinding{ID: "b-" + id, ActionID: id, DisplayName: id})
	}
	if err := s.SetActionBindings(t.Context(), "t", "credentials-exchange", list); err != nil {
		t.Fatal(err)
	}
}

func boundVersions(list []storage.BoundAction) []string {
	var out []string
	for _, ba := range list {
		out = append(out, ba.ActionName+"@"+ba.Version.ID)
	}
	return out
}

// TestBindingChangesReachTheSnapshot: binding, reordering, deploying and
// deleting Actions are applied from the change log without a rebuild, and
// an older snapshot keeps what it had.
func TestBindingChangesReachTheSnapshot(t *testing.T) {
	s := open(t, sqlitetest.Path(t, "catalog.db"))
	ctx := t.Context()
	deployAction(t, s, "a", "va1")
	deployAction(t, s, "b", "vb1")
	c := newCache(t, s)
	start := c.Stats()
	if got := c.Snapshot().BoundActions("credentials-exchange"); got != nil {
		t.Fatalf("nothing bound yet: %+v", got)
	}

	bind(t, s, "b", "a")
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	first := c.Snapshot()
	want := []string{"action-b@vb1", "action-a@va1"}
	if got := boundVersions(first.BoundActions("credentials-exchange")); !slices.Equal(got, want) {
		t.Fatalf("bound %v, want %v", got, want)
	}
	if got := first.BoundActions("post-login"); got != nil {
		t.Fatalf("a trigger without bindings: %+v", got)
	}
	if n := testing.AllocsPerRun(100, func() { first.BoundActions("credentials-exchange") }); n != 0 {
		t.Fatalf("BoundActions allocates %v times", n)
	}

	bind(t, s, "a", "b")
	if _, err := s.DeployAction(ctx, "t", "a", func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
		return storage.ActionVersion{ID: "va2", Status: storage.ActionBuilt}, a, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	want = []string{"action-a@va2", "action-b@vb1"}
	if got := boundVersions(c.Snapshot().BoundActions("credentials-exchange")); !slices.Equal(got, want) {
		t.Fatalf("after reorder and deploy: %v, want %v", got, want)
	}

	if err := s.DeleteAction(ctx, "t", "a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	want = []string{"action-b@vb1"}
	if got := boundVersions(c.Snapshot().BoundActions("credentials-exchange")); !slices.Equal(got, want) {
		t.Fatalf("after delete: %v, want %v", got, want)
	}
	if got := boundVersions(first.BoundActions("credentials-exchange")); !slices.Equal(got, []string{"action-b@vb1", "action-a@va1"}) {
		t.Fatalf("the old snapshot changed: %v", got)
	}
	if got := c.Stats(); got.Rebuilds != start.Rebuilds {
		t.Fatalf("%d whole rebuilds for binding changes", got.Rebuilds-start.Rebuilds)
	}
}

// TestAnotherReplicasBindingsArriveByNotification: a binding written on
// another replica reaches this one's snapshot through PostgreSQL's notify.
func TestAnotherReplicasBindingsArriveByNotification(t *testing.T) {
	dsn := postgresDSN(t)
	mine, other := open(t, dsn), open(t, dsn)
	c := newCache(t, mine)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	deployAction(t, other, "a", "va1")
	bind(t, other, "a")
	if err := c.WaitFor(ctx, other.CommittedCatalogSeq("t")); err != nil {
		t.Fatalf("the binding never arrived: %v", err)
	}
	if got := boundVersions(c.Snapshot().BoundActions("credentials-exchange")); !slices.Equal(got, []string{"action-a@va1"}) {
		t.Fatalf("bound %v", got)
	}
	bind(t, other)
	if err := c.WaitFor(ctx, other.CommittedCatalogSeq("t")); err != nil {
		t.Fatalf("the unbinding never arrived: %v", err)
	}
	if got := c.Snapshot().BoundActions("credentials-exchange"); got != nil {
		t.Fatalf("still bound: %+v", got)
	}
}
