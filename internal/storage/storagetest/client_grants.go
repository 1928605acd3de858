package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func sampleGrant(tenant, id, clientID, audience string, created int) storage.ClientGrant {
	return storage.ClientGrant{
		Tenant: tenant, ID: id, ClientID: clientID, Audience: audience,
		Scope:     []string{"read:x", "write:x"},
		CreatedAt: at(created), UpdatedAt: at(created),
	}
}

func testClientGrants(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("create get and not found", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := sampleGrant("t1", "g1", "c1", "https://a", 0)
		anyOrg := true
		want.OrganizationUsage, want.AllowAnyOrganization = "allow", &anyOrg
		want.AllowAllScopes, want.AuthorizationDetailsTypes = &anyOrg, []string{"payment", "shipping"}
		mustNil(t, s.CreateClientGrant(ctx, want), "create")
		got, err := s.GetClientGrant(ctx, "t1", "g1")
		mustNil(t, err, "get")
		mustEqual(t, got, want, "grant")
		_, err = s.GetClientGrant(ctx, "t1", "nope")
		mustIs(t, err, storage.ErrNotFound, "get missing")
		mustIs(t, s.DeleteClientGrant(ctx, "t1", "nope"), storage.ErrNotFound, "delete missing")
		_, err = s.UpdateClientGrant(ctx, "t1", "nope", func(g storage.ClientGrant) (storage.ClientGrant, error) { return g, nil })
		mustIs(t, err, storage.ErrNotFound, "update missing")
	})
	t.Run("one grant per client and audience", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g1", "c1", "https://a", 0)), "create")
		mustIs(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g2", "c1", "https://a", 0)), storage.ErrConflict, "same pair")
		mustIs(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g1", "c9", "https://z", 0)), storage.ErrConflict, "same id")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g3", "c1", "https://b", 0)), "same client, other audience")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g4", "c2", "https://a", 0)), "other client, same audience")
		_, err := s.UpdateClientGrant(ctx, "t1", "g3", func(g storage.ClientGrant) (storage.ClientGrant, error) {
			g.Audience = "https://a"
			return g, nil
		})
		mustIs(t, err, storage.ErrConflict, "update onto a taken pair")
	})
	t.Run("list filters orders and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, g := range []storage.ClientGrant{
			sampleGrant("t1", "g3", "c1", "https://a", 0),
			sampleGrant("t1", "g1", "c1", "https://b", 1),
			sampleGrant("t1", "g2", "c2", "https://a", 0),
		} {
			mustNil(t, s.CreateClientGrant(ctx, g), "create "+g.ID)
		}
		cases := []struct {
			name   string
			filter storage.GrantFilter
			page   storage.Page
			want   []string
			total  int
		}{
			{"all", storage.GrantFilter{}, storage.Page{}, []string{"g2", "g3", "g1"}, 3},
			{"by client", storage.GrantFilter{ClientID: "c1"}, storage.Page{}, []string{"g3", "g1"}, 2},
			{"by audience", storage.GrantFilter{Audience: "https://a"}, storage.Page{}, []string{"g2", "g3"}, 2},
			{"by both", storage.GrantFilter{ClientID: "c1", Audience: "https://a"}, storage.Page{}, []string{"g3"}, 1},
			{"no match", storage.GrantFilter{ClientID: "c9"}, storage.Page{}, nil, 0},
			{"paged", storage.GrantFilter{}, storage.Page{Page: 1, PerPage: 1}, []string{"g3"}, 3},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				list, total, err := s.ListClientGrants(ctx, "t1", tc.filter, tc.page)
				mustNil(t, err, "list")
				mustEqual(t, total, tc.total, "total")
				var ids []string
				for _, g := range list {
					ids = append(ids, g.ID)
				}
				mustEqual(t, ids, tc.want, "ids")
			})
		}
	})
	t.Run("update keeps what fn does not touch and aborts on error", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		orig := sampleGrant("t1", "g1", "c1", "https://a", 0)
		mustNil(t, s.CreateClientGrant(ctx, orig), "create")
		allScopes := false // a false that was set stays set
		got, err := s.UpdateClientGrant(ctx, "t1", "g1", func(g storage.ClientGrant) (storage.ClientGrant, error) {
			mustEqual(t, g, orig, "fn input")
			g.Scope, g.UpdatedAt, g.OrganizationUsage = []string{"read:x"}, at(30), "require"
			g.AllowAllScopes, g.AuthorizationDetailsTypes = &allScopes, []string{"payment"}
			return g, nil
		})
		mustNil(t, err, "update")
		want := orig
		want.Scope, want.UpdatedAt, want.OrganizationUsage = []string{"read:x"}, at(30), "require"
		want.AllowAllScopes, want.AuthorizationDetailsTypes = &allScopes, []string{"payment"}
		mustEqual(t, got, want, "returned")
		_, err = s.UpdateClientGrant(ctx, "t1", "g1", func(g storage.ClientGrant) (storage.ClientGrant, error) {
			g.Scope = nil
			return g, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		read, err := s.GetClientGrant(ctx, "t1", "g1")
		mustNil(t, err, "get")
		mustEqual(t, read, want, "stored")
	})
	t.Run("delete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g1", "c1", "https://a", 0)), "create")
		mustNil(t, s.DeleteClientGrant(ctx, "t1", "g1"), "delete")
		_, err := s.GetClientGrant(ctx, "t1", "g1")
		mustIs(t, err, storage.ErrNotFound, "get deleted")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g2", "c1", "https://a", 0)), "pair is free again")
	})
}
