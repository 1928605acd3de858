package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func testNPMLockfiles(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("put get round-trips the bytes; unknown hash is not found", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.GetNPMLockfile(ctx, "t1", "h1")
		mustIs(t, err, storage.ErrNotFound, "get before put")
		lock := []byte("{\"lockfileVersion\": 3,\n \"packages\": {\"\": {}}}\n\x00binary-safe")
		mustNil(t, s.PutNPMLockfile(ctx, "t1", "h1", lock), "put")
		got, err := s.GetNPMLockfile(ctx, "t1", "h1")
		mustNil(t, err, "get")
		mustEqual(t, got, lock, "lockfile")
	})
	t.Run("a second put of a hash keeps the first lockfile", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.PutNPMLockfile(ctx, "t1", "h1", []byte("first")), "put first")
		mustNil(t, s.PutNPMLockfile(ctx, "t1", "h1", []byte("second")), "put again")
		got, err := s.GetNPMLockfile(ctx, "t1", "h1")
		mustNil(t, err, "get")
		mustEqual(t, string(got), "first", "lockfile")
	})
	t.Run("tenants do not see each other's lockfiles", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.PutNPMLockfile(ctx, "t1", "h1", []byte("one")), "put")
		_, err := s.GetNPMLockfile(ctx, "t2", "h1")
		mustIs(t, err, storage.ErrNotFound, "other tenant")
	})
}
