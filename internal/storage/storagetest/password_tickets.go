package storagetest

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func testPasswordTickets(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("single use and expiry", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		tk := storage.PasswordTicket{Tenant: "t1", Hash: "h1", UserID: "auth0|u1", ResultURL: "https://app.example/done",
			ExpiresAt: at(60), CreatedAt: at(0)}
		mustNil(t, s.CreatePasswordTicket(ctx, tk), "create")
		mustNil(t, s.CreatePasswordTicket(ctx, storage.PasswordTicket{Tenant: "t1", Hash: "h2", UserID: "auth0|u2", ExpiresAt: at(10), CreatedAt: at(0)}), "create h2")
		got, err := s.GetPasswordTicket(ctx, "t1", "h1", at(59))
		mustNil(t, err, "get")
		mustEqual(t, got, tk, "ticket")
		_, err = s.GetPasswordTicket(ctx, "t2", "h1", at(1))
		mustIs(t, err, storage.ErrNotFound, "other tenant")
		_, err = s.GetPasswordTicket(ctx, "t1", "h1", at(60))
		mustIs(t, err, storage.ErrNotFound, "expired")
		_, err = s.UsePasswordTicket(ctx, "t1", "h2", at(10))
		mustIs(t, err, storage.ErrNotFound, "use expired")
		got, err = s.UsePasswordTicket(ctx, "t1", "h1", at(30))
		mustNil(t, err, "use")
		mustEqual(t, got, tk, "used ticket")
		_, err = s.UsePasswordTicket(ctx, "t1", "h1", at(31))
		mustIs(t, err, storage.ErrNotFound, "second use")
	})
	t.Run("concurrent uses: exactly one wins", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreatePasswordTicket(ctx, storage.PasswordTicket{Tenant: "t1", Hash: "h", UserID: "auth0|u", ExpiresAt: at(60), CreatedAt: at(0)}), "create")
		var (
			wins atomic.Int32
			wg   sync.WaitGroup
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.UsePasswordTicket(ctx, "t1", "h", at(1)); err == nil {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		mustEqual(t, wins.Load(), int32(1), "winners")
	})
}
