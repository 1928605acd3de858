package storagetest

import (
	"strconv"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// testConcurrentUpdates runs read-modify-write increments from many
// goroutines at once. A backend whose update is not one serialized
// transaction loses increments, and one that lets writers collide (SQLite
// "database is locked") returns errors.
func testConcurrentUpdates(t *testing.T, open func(t *testing.T) storage.Storage) {
	const workers, each = 8, 15
	s, ctx := open(t), t.Context()
	mustNil(t, s.CreateClient(ctx, sampleClient("t1", "c1", 0)), "create")
	incr := func(v string) string { n, _ := strconv.Atoi(v); return strconv.Itoa(n + 1) }

	var wg sync.WaitGroup
	errs := make(chan error, 3*workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := s.UpdateClient(ctx, "t1", "c1", func(c storage.Client) (storage.Client, error) {
					c.Description = incr(c.Description)
					return c, nil
				})
				errs <- err
				// Settings have no row to lock on the first update.
				_, err = s.UpdateTenantSettings(ctx, "t1", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
					ts.FriendlyName = incr(ts.FriendlyName)
					return ts, nil
				})
				errs <- err
				_, _, err = s.ListClients(ctx, "t1", storage.Page{})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNil(t, err, "concurrent operation")
	}
	want := strconv.Itoa(workers * each)
	c, err := s.GetClient(ctx, "t1", "c1")
	mustNil(t, err, "get client")
	mustEqual(t, c.Description, want, "client increments")
	ts, err := s.GetTenantSettings(ctx, "t1")
	mustNil(t, err, "get settings")
	mustEqual(t, ts.FriendlyName, want, "settings increments")
}
