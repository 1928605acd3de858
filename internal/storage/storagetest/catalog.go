package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func testLoadCatalog(t *testing.T, open func(t *testing.T) storage.Storage) {
	s, ctx := open(t), t.Context()

	empty, err := s.LoadCatalog(ctx, "t1")
	mustNil(t, err, "load empty")
	mustEqual(t, empty, storage.Catalog{Settings: storage.TenantSettings{Tenant: "t1"}}, "empty catalog")

	want := storage.Catalog{
		Clients:         []storage.Client{sampleClient("t1", "c1", 0), sampleClient("t1", "c2", 1)},
		ResourceServers: []storage.ResourceServer{sampleAPI("t1", "rs1", "https://a", 0)},
		ClientGrants:    []storage.ClientGrant{sampleGrant("t1", "g1", "c1", "https://a", 0), sampleGrant("t1", "g2", "c2", "https://a", 1)},
		SigningKeys:     []storage.SigningKey{sampleKey("t1", "k1", "current", 0)},
		Settings:        storage.TenantSettings{Tenant: "t1", FriendlyName: "Acme", UpdatedAt: at(0)},
		Hooks:           []storage.Hook{sampleHook("t1", "h1", "n1", triggerCCE, true, 0)},
	}
	for _, c := range want.Clients {
		mustNil(t, s.CreateClient(ctx, c), "client")
	}
	for _, rs := range want.ResourceServers {
		mustNil(t, s.CreateResourceServer(ctx, rs), "api")
	}
	for _, g := range want.ClientGrants {
		mustNil(t, s.CreateClientGrant(ctx, g), "grant")
	}
	_, err = s.UpdateSigningKeys(ctx, "t1", func([]storage.SigningKey) ([]storage.SigningKey, error) { return want.SigningKeys, nil })
	mustNil(t, err, "keys")
	_, err = s.UpdateTenantSettings(ctx, "t1", func(storage.TenantSettings) (storage.TenantSettings, error) { return want.Settings, nil })
	mustNil(t, err, "settings")
	for _, h := range want.Hooks {
		mustNil(t, s.CreateHook(ctx, h), "hook")
	}
	// Another tenant's records and log events must not leak in.
	mustNil(t, s.CreateClient(ctx, sampleClient("t2", "c9", 0)), "other tenant client")
	mustNil(t, s.CreateHook(ctx, sampleHook("t2", "h9", "n9", triggerCCE, true, 0)), "other tenant hook")
	mustNil(t, s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog("t1", 1, "seccft", "c1")}), "log")

	// Eight writes to t1's catalog above, each one change.
	want.Seq = 8
	got, err := s.LoadCatalog(ctx, "t1")
	mustNil(t, err, "load")
	mustEqual(t, got, want, "catalog")
}
