package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// testTenantIsolation stores records with the same keys in two tenants and
// checks that neither reads, lists, updates nor deletes the other's.
func testTenantIsolation(t *testing.T, open func(t *testing.T) storage.Storage) {
	s, ctx := open(t), t.Context()
	for _, tenant := range []string{"ta", "tb"} {
		c := sampleClient(tenant, "same-client", 0)
		c.Name = "client of " + tenant
		mustNil(t, s.CreateClient(ctx, c), "client "+tenant)
		rs := sampleAPI(tenant, "same-api", "https://same", 0)
		rs.Name = "api of " + tenant
		mustNil(t, s.CreateResourceServer(ctx, rs), "api "+tenant)
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant(tenant, "same-grant", "same-client", "https://same", 0)), "grant "+tenant)
		h := sampleHook(tenant, "same-hook", "same-name", triggerCCE, true, 0)
		h.Script = "// " + tenant
		mustNil(t, s.CreateHook(ctx, h), "hook "+tenant)
		_, err := s.UpdateSigningKeys(ctx, tenant, func([]storage.SigningKey) ([]storage.SigningKey, error) {
			return []storage.SigningKey{sampleKey(tenant, "kid-"+tenant, "current", 0)}, nil
		})
		mustNil(t, err, "keys "+tenant)
		_, err = s.UpdateTenantSettings(ctx, tenant, func(ts storage.TenantSettings) (storage.TenantSettings, error) {
			ts.FriendlyName = "tenant " + tenant
			return ts, nil
		})
		mustNil(t, err, "settings "+tenant)
		mustNil(t, s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog(tenant, 1, "seccft", "same-client")}), "log "+tenant)
	}

	check := func(t *testing.T, tenant string) {
		t.Helper()
		c, err := s.GetClient(ctx, tenant, "same-client")
		mustNil(t, err, "get client")
		mustEqual(t, c.Name, "client of "+tenant, "client")
		rs, err := s.GetResourceServer(ctx, tenant, "https://same")
		mustNil(t, err, "get api")
		mustEqual(t, rs.Name, "api of "+tenant, "api")
		h, err := s.GetHook(ctx, tenant, "same-hook")
		mustNil(t, err, "get hook")
		mustEqual(t, h.Script, "// "+tenant, "hook")
		if !h.Enabled {
			t.Fatalf("enabling %s's hook disabled another tenant's", tenant)
		}
		keys, err := s.ListSigningKeys(ctx, tenant)
		mustNil(t, err, "keys")
		if len(keys) != 1 || keys[0].KID != "kid-"+tenant {
			t.Fatalf("keys of %s = %+v", tenant, keys)
		}
		ts, err := s.GetTenantSettings(ctx, tenant)
		mustNil(t, err, "settings")
		mustEqual(t, ts.FriendlyName, "tenant "+tenant, "settings")
		_, n, err := s.ListClients(ctx, tenant, storage.Page{})
		mustNil(t, err, "list clients")
		mustEqual(t, n, 1, "clients")
		_, n, err = s.ListLogEvents(ctx, tenant, storage.LogQuery{})
		mustNil(t, err, "list logs")
		mustEqual(t, n, 1, "logs")
	}
	check(t, "ta")
	check(t, "tb")

	_, err := s.GetClient(ctx, "tc", "same-client")
	mustIs(t, err, storage.ErrNotFound, "client in a third tenant")

	// Deleting in ta must leave tb whole, cascades included.
	mustNil(t, s.DeleteClient(ctx, "ta", "same-client"), "delete ta client")
	mustNil(t, s.DeleteResourceServer(ctx, "ta", "same-api"), "delete ta api")
	mustNil(t, s.DeleteHook(ctx, "ta", "same-hook"), "delete ta hook")
	_, err = s.GetClientGrant(ctx, "ta", "same-grant")
	mustIs(t, err, storage.ErrNotFound, "ta grant cascaded")
	_, err = s.GetClientGrant(ctx, "tb", "same-grant")
	mustNil(t, err, "tb grant survives")
	check(t, "tb")
}
