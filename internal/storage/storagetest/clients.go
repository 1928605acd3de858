package storagetest

import (
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func sampleClient(tenant, id string, created int) storage.Client {
	return storage.Client{
		Tenant:                  tenant,
		ClientID:                id,
		Secret:                  "secret-of-" + id,
		Name:                    "App " + id,
		Description:             "described",
		AppType:                 "non_interactive",
		GrantTypes:              []string{"client_credentials"},
		TokenEndpointAuthMethod: "client_secret_post",
		Metadata:                map[string]string{"team": "blue"},
		Callbacks:               []string{"https://app.example/cb"},
		AllowedOrigins:          []string{"https://app.example"},
		WebOrigins:              []string{"https://web.example"},
		AllowedLogoutURLs:       []string{"https://app.example/bye"},
		LogoURI:                 "https://app.example/logo.png",
		IsFirstParty:            true,
		IDTokenLifetime:         7200,
		CreatedAt:               at(created),
		UpdatedAt:               at(created),
	}
}

func testClients(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("create get round-trips every field", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := sampleClient("t1", "c1", 0)
		want.Global = true
		mustNil(t, s.CreateClient(ctx, want), "create")
		got, err := s.GetClient(ctx, "t1", "c1")
		mustNil(t, err, "get")
		mustEqual(t, got, want, "client")
	})
	t.Run("times come back in UTC", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := sampleClient("t1", "c1", 0)
		c.CreatedAt = at(0).In(time.FixedZone("UTC+1", 3600))
		mustNil(t, s.CreateClient(ctx, c), "create")
		got, err := s.GetClient(ctx, "t1", "c1")
		mustNil(t, err, "get")
		if got.CreatedAt.Location().String() != "UTC" || !got.CreatedAt.Equal(at(0)) {
			t.Fatalf("CreatedAt = %v, want %v in UTC", got.CreatedAt, at(0))
		}
	})
	t.Run("a client without secret reads back without one", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := sampleClient("t1", "spa", 0)
		c.Secret, c.TokenEndpointAuthMethod = "", "none"
		mustNil(t, s.CreateClient(ctx, c), "create")
		got, err := s.GetClient(ctx, "t1", "spa")
		mustNil(t, err, "get")
		mustEqual(t, got.Secret, "", "secret")
	})
	t.Run("not found", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.GetClient(ctx, "t1", "nope")
		mustIs(t, err, storage.ErrNotFound, "get")
		called := false
		_, err = s.UpdateClient(ctx, "t1", "nope", func(c storage.Client) (storage.Client, error) { called = true; return c, nil })
		mustIs(t, err, storage.ErrNotFound, "update")
		if called {
			t.Fatal("update fn called for a missing client")
		}
		mustIs(t, s.DeleteClient(ctx, "t1", "nope"), storage.ErrNotFound, "delete")
	})
	t.Run("duplicate client_id conflicts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateClient(ctx, sampleClient("t1", "c1", 0)), "create")
		mustIs(t, s.CreateClient(ctx, sampleClient("t1", "c1", 1)), storage.ErrConflict, "second create")
	})
	t.Run("list orders by creation then id and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, c := range []storage.Client{sampleClient("t1", "c3", 0), sampleClient("t1", "c1", 5), sampleClient("t1", "c2", 0)} {
			mustNil(t, s.CreateClient(ctx, c), "create "+c.ClientID)
		}
		cases := []struct {
			page storage.Page
			want []string
		}{
			{storage.Page{}, []string{"c2", "c3", "c1"}},
			{storage.Page{Page: 0, PerPage: 2}, []string{"c2", "c3"}},
			{storage.Page{Page: 1, PerPage: 2}, []string{"c1"}},
			{storage.Page{Page: 4, PerPage: 2}, nil},
		}
		for _, tc := range cases {
			list, total, err := s.ListClients(ctx, "t1", tc.page)
			mustNil(t, err, "list")
			mustEqual(t, total, 3, "total")
			var ids []string
			for _, c := range list {
				ids = append(ids, c.ClientID)
			}
			mustEqual(t, ids, tc.want, "ids")
		}
	})
	t.Run("update keeps what fn does not touch", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		orig := sampleClient("t1", "c1", 0)
		mustNil(t, s.CreateClient(ctx, orig), "create")
		got, err := s.UpdateClient(ctx, "t1", "c1", func(c storage.Client) (storage.Client, error) {
			mustEqual(t, c, orig, "fn input")
			c.Name, c.UpdatedAt = "Renamed", at(60)
			return c, nil
		})
		mustNil(t, err, "update")
		want := orig
		want.Name, want.UpdatedAt = "Renamed", at(60)
		mustEqual(t, got, want, "returned")
		read, err := s.GetClient(ctx, "t1", "c1")
		mustNil(t, err, "get")
		mustEqual(t, read, want, "stored")
	})
	t.Run("update can rotate the secret", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateClient(ctx, sampleClient("t1", "c1", 0)), "create")
		_, err := s.UpdateClient(ctx, "t1", "c1", func(c storage.Client) (storage.Client, error) { c.Secret = "rotated"; return c, nil })
		mustNil(t, err, "update")
		got, err := s.GetClient(ctx, "t1", "c1")
		mustNil(t, err, "get")
		mustEqual(t, got.Secret, "rotated", "secret")
	})
	t.Run("an error from fn aborts the update unchanged", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		orig := sampleClient("t1", "c1", 0)
		mustNil(t, s.CreateClient(ctx, orig), "create")
		_, err := s.UpdateClient(ctx, "t1", "c1", func(c storage.Client) (storage.Client, error) {
			c.Name = "half-done"
			return c, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		got, err := s.GetClient(ctx, "t1", "c1")
		mustNil(t, err, "get")
		mustEqual(t, got, orig, "after aborted update")
	})
	t.Run("delete removes the client and only its grants", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateClient(ctx, sampleClient("t1", "c1", 0)), "create c1")
		mustNil(t, s.CreateClient(ctx, sampleClient("t1", "c2", 0)), "create c2")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g1", "c1", "https://api", 0)), "grant g1")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g2", "c2", "https://api", 0)), "grant g2")
		mustNil(t, s.DeleteClient(ctx, "t1", "c1"), "delete")
		_, err := s.GetClient(ctx, "t1", "c1")
		mustIs(t, err, storage.ErrNotFound, "get deleted")
		_, err = s.GetClientGrant(ctx, "t1", "g1")
		mustIs(t, err, storage.ErrNotFound, "grant of deleted client")
		_, err = s.GetClientGrant(ctx, "t1", "g2")
		mustNil(t, err, "grant of other client")
		mustIs(t, s.DeleteClient(ctx, "t1", "c1"), storage.ErrNotFound, "delete again")
		mustNil(t, s.CreateClient(ctx, sampleClient("t1", "c1", 9)), "re-create after delete")
	})
}
