package storagetest

import (
	"context"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func testCatalogChanges(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("numbers every catalog change in order and skips other writes", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		empty, latest, err := s.CatalogChanges(ctx, "w", 0, 100)
		mustNil(t, err, "empty log")
		if len(empty) != 0 || latest != 0 {
			t.Fatalf("empty tenant: %+v latest %d", empty, latest)
		}
		mustNil(t, s.CreateClient(ctx, sampleClient("w", "c1", 0)), "client")                                   // 1
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("w", "rs1", "https://a", 0)), "api")                   // 2
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("w", "g1", "c1", "https://a", 0)), "grant")             // 3
		_, err = s.UpdateClientGrant(ctx, "w", "g1", func(g storage.ClientGrant) (storage.ClientGrant, error) { // 4, 5
			g.ClientID = "c2"
			return g, nil
		})
		mustNil(t, err, "move grant")
		// Writes that change nothing in the catalog take no number.
		_, err = s.UpdateClient(ctx, "w", "c1", func(c storage.Client) (storage.Client, error) { return c, errBoom })
		mustIs(t, err, errBoom, "aborted update")
		mustIs(t, s.CreateClient(ctx, sampleClient("w", "c1", 0)), storage.ErrConflict, "conflicting create")
		mustNil(t, s.CreateUser(ctx, sampleUser("w", "auth0|u1", "u1@example.com", "", 0)), "user")
		mustNil(t, s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog("w", 1, "seccft", "c1")}), "log")
		mustNil(t, s.CreateClient(ctx, sampleClient("other", "c1", 0)), "other tenant")
		_, err = s.UpdateTenantSettings(ctx, "w", func(ts storage.TenantSettings) (storage.TenantSettings, error) { return ts, nil }) // 6
		mustNil(t, err, "settings")
		mustNil(t, s.DeleteResourceServer(ctx, "w", "rs1"), "delete api") // 7, 8: the grant went with it

		want := []storage.Change{
			{Tenant: "w", Kind: "clients", Key: "c1", Seq: 1},
			{Tenant: "w", Kind: "resource_servers", Key: "https://a", Seq: 2},
			{Tenant: "w", Kind: "client_grants", Key: "c1", Seq: 3},
			{Tenant: "w", Kind: "client_grants", Key: "c1", Seq: 4},
			{Tenant: "w", Kind: "client_grants", Key: "c2", Seq: 5},
			{Tenant: "w", Kind: "settings", Seq: 6},
			{Tenant: "w", Kind: "resource_servers", Key: "https://a", Seq: 7},
			{Tenant: "w", Kind: "client_grants", Key: "c2", Seq: 8},
		}
		got, latest, err := s.CatalogChanges(ctx, "w", 0, 100)
		mustNil(t, err, "log")
		mustEqual(t, got, want, "whole log")
		mustEqual(t, latest, int64(8), "latest")
		got, latest, err = s.CatalogChanges(ctx, "w", 5, 100)
		mustNil(t, err, "tail")
		mustEqual(t, got, want[5:], "after 5")
		mustEqual(t, latest, int64(8), "latest of tail")
		got, _, err = s.CatalogChanges(ctx, "w", 0, 2)
		mustNil(t, err, "limited")
		mustEqual(t, got, want[:2], "first two")
		got, latest, err = s.CatalogChanges(ctx, "w", 8, 100)
		mustNil(t, err, "caught up")
		if len(got) != 0 || latest != 8 {
			t.Fatalf("caught up: %+v latest %d", got, latest)
		}
		mustEqual(t, s.CommittedCatalogSeq("w"), int64(8), "committed here")

		cat, err := s.LoadCatalog(ctx, "w")
		mustNil(t, err, "load")
		mustEqual(t, cat.Seq, int64(8), "catalog seq")
		other, latest, err := s.CatalogChanges(ctx, "other", 0, 100)
		mustNil(t, err, "other tenant log")
		mustEqual(t, other, []storage.Change{{Tenant: "other", Kind: "clients", Key: "c1", Seq: 1}}, "other tenant's own sequence")
		mustEqual(t, latest, int64(1), "other latest")
	})

	t.Run("concurrent writers take distinct numbers without gaps", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const writers = 16
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.CreateClient(context.WithoutCancel(ctx), sampleClient("w", "c"+string(rune('a'+i)), i))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustNil(t, err, "concurrent create")
		}
		got, latest, err := s.CatalogChanges(ctx, "w", 0, 100)
		mustNil(t, err, "log")
		mustEqual(t, latest, int64(writers), "latest")
		keys := map[string]bool{}
		for i, c := range got {
			mustEqual(t, c.Seq, int64(i+1), "seq")
			keys[c.Key] = true
		}
		mustEqual(t, len(keys), writers, "one change per client")
	})
}
