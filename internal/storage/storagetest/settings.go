package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func testSettings(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("zero until saved, then read-modify-write", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		got, err := s.GetTenantSettings(ctx, "t1")
		mustNil(t, err, "get unsaved")
		mustEqual(t, got, storage.TenantSettings{Tenant: "t1"}, "unsaved")

		first, err := s.UpdateTenantSettings(ctx, "t1", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
			mustEqual(t, ts, storage.TenantSettings{Tenant: "t1"}, "fn input on first save")
			ts.FriendlyName, ts.DefaultAudience, ts.UpdatedAt = "Acme", "https://a", at(1)
			return ts, nil
		})
		mustNil(t, err, "first save")
		want := storage.TenantSettings{Tenant: "t1", FriendlyName: "Acme", DefaultAudience: "https://a", UpdatedAt: at(1)}
		mustEqual(t, first, want, "returned")

		_, err = s.UpdateTenantSettings(ctx, "t1", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
			mustEqual(t, ts, want, "fn input on second save")
			ts.DefaultDirectory = "Username-Password-Authentication"
			return ts, nil
		})
		mustNil(t, err, "second save")
		want.DefaultDirectory = "Username-Password-Authentication"
		got, err = s.GetTenantSettings(ctx, "t1")
		mustNil(t, err, "get")
		mustEqual(t, got, want, "stored")

		_, err = s.UpdateTenantSettings(ctx, "t1", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
			ts.FriendlyName = "half-done"
			return ts, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		got, err = s.GetTenantSettings(ctx, "t1")
		mustNil(t, err, "get after abort")
		mustEqual(t, got, want, "after aborted update")
	})
}
