package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func sampleAPI(tenant, id, identifier string, created int) storage.ResourceServer {
	return storage.ResourceServer{
		Tenant:             tenant,
		ID:                 id,
		Identifier:         identifier,
		Name:               "API " + id,
		Scopes:             []storage.Scope{{Value: "read:x", Description: "read x"}, {Value: "write:x"}},
		TokenLifetime:      86400,
		SigningAlg:         "HS256",
		SigningSecret:      "hs-secret-of-" + id,
		AllowOfflineAccess: true,
		SkipConsent:        true,
		CreatedAt:          at(created),
		UpdatedAt:          at(created),
	}
}

func testResourceServers(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("create and get by id or identifier", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := sampleAPI("t1", "rs1", "https://api.example", 0)
		want.IsSystem = true
		mustNil(t, s.CreateResourceServer(ctx, want), "create")
		for _, key := range []string{"rs1", "https://api.example"} {
			got, err := s.GetResourceServer(ctx, "t1", key)
			mustNil(t, err, "get "+key)
			mustEqual(t, got, want, "by "+key)
		}
		_, err := s.GetResourceServer(ctx, "t1", "https://other")
		mustIs(t, err, storage.ErrNotFound, "get missing")
	})
	t.Run("conflicts on id and on identifier", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("t1", "rs1", "https://a", 0)), "create")
		mustIs(t, s.CreateResourceServer(ctx, sampleAPI("t1", "rs2", "https://a", 0)), storage.ErrConflict, "same identifier")
		mustIs(t, s.CreateResourceServer(ctx, sampleAPI("t1", "rs1", "https://b", 0)), storage.ErrConflict, "same id")
	})
	t.Run("list orders by creation then id and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("t1", "b", "https://b", 1)), "create b")
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("t1", "c", "https://c", 0)), "create c")
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("t1", "a", "https://a", 1)), "create a")
		list, total, err := s.ListResourceServers(ctx, "t1", storage.Page{})
		mustNil(t, err, "list")
		mustEqual(t, total, 3, "total")
		mustEqual(t, apiIDs(list), []string{"c", "a", "b"}, "order")
		list, total, err = s.ListResourceServers(ctx, "t1", storage.Page{Page: 1, PerPage: 2})
		mustNil(t, err, "page 1")
		mustEqual(t, total, 3, "paged total")
		mustEqual(t, apiIDs(list), []string{"b"}, "page 1")
	})
	t.Run("update keeps what fn does not touch and aborts on error", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		orig := sampleAPI("t1", "rs1", "https://a", 0)
		mustNil(t, s.CreateResourceServer(ctx, orig), "create")
		got, err := s.UpdateResourceServer(ctx, "t1", "rs1", func(rs storage.ResourceServer) (storage.ResourceServer, error) {
			mustEqual(t, rs, orig, "fn input")
			rs.TokenLifetime = 60
			return rs, nil
		})
		mustNil(t, err, "update")
		want := orig
		want.TokenLifetime = 60
		mustEqual(t, got, want, "returned")
		read, err := s.GetResourceServer(ctx, "t1", "rs1")
		mustNil(t, err, "get")
		mustEqual(t, read, want, "stored")

		_, err = s.UpdateResourceServer(ctx, "t1", "rs1", func(rs storage.ResourceServer) (storage.ResourceServer, error) {
			rs.Name = "half-done"
			return rs, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		read, err = s.GetResourceServer(ctx, "t1", "rs1")
		mustNil(t, err, "get after abort")
		mustEqual(t, read, want, "after aborted update")

		_, err = s.UpdateResourceServer(ctx, "t1", "missing", func(rs storage.ResourceServer) (storage.ResourceServer, error) { return rs, nil })
		mustIs(t, err, storage.ErrNotFound, "update missing")
	})
	t.Run("delete removes the grants for its identifier only", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("t1", "rs1", "https://a", 0)), "create a")
		mustNil(t, s.CreateResourceServer(ctx, sampleAPI("t1", "rs2", "https://b", 0)), "create b")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g1", "c1", "https://a", 0)), "grant to a")
		mustNil(t, s.CreateClientGrant(ctx, sampleGrant("t1", "g2", "c1", "https://b", 0)), "grant to b")
		mustNil(t, s.DeleteResourceServer(ctx, "t1", "rs1"), "delete")
		_, err := s.GetResourceServer(ctx, "t1", "rs1")
		mustIs(t, err, storage.ErrNotFound, "get deleted")
		_, err = s.GetClientGrant(ctx, "t1", "g1")
		mustIs(t, err, storage.ErrNotFound, "grant to deleted API")
		_, err = s.GetClientGrant(ctx, "t1", "g2")
		mustNil(t, err, "grant to other API")
		mustIs(t, s.DeleteResourceServer(ctx, "t1", "rs1"), storage.ErrNotFound, "delete again")
	})
}

func apiIDs(list []storage.ResourceServer) []string {
	var ids []string
	for _, rs := range list {
		ids = append(ids, rs.ID)
	}
	return ids
}
