package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func sampleExecution(tenant, id string, created int) storage.Execution {
	return storage.Execution{Tenant: tenant, ID: id, Trigger: "post-user-registration",
		Payload: []byte(`{"user":{"id":"` + id + `"}}`), NextAt: at(created), CreatedAt: at(created)}
}

func testOutbox(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("stored with the user, or not at all", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "", 0), sampleExecution("t1", "e1", 0)), "create")
		// A refused user takes its execution with it.
		mustIs(t, s.CreateUser(ctx, sampleUser("t1", "u2", "a@example.com", "", 0), sampleExecution("t1", "e2", 0)),
			storage.ErrConflict, "taken email")
		_, err := s.UpdateUserThen(ctx, "t1", "auth0|u1", func(u storage.User) (storage.User, []storage.Execution, error) {
			return u, []storage.Execution{sampleExecution("t1", "e3", 1)}, errBoom
		})
		mustIs(t, err, errBoom, "aborted update")
		_, err = s.UpdateUserThen(ctx, "t1", "auth0|u1", func(u storage.User) (storage.User, []storage.Execution, error) {
			u.Name = "changed"
			return u, []storage.Execution{sampleExecution("t1", "e4", 2)}, nil
		})
		mustNil(t, err, "update")
		list, err := s.ListExecutions(ctx, "t1")
		mustNil(t, err, "list")
		mustEqual(t, list, []storage.Execution{sampleExecution("t1", "e1", 0), sampleExecution("t1", "e4", 2)}, "pending")
		other, err := s.ListExecutions(ctx, "t2")
		mustNil(t, err, "list t2")
		mustEqual(t, len(other), 0, "other tenant")
	})
	t.Run("claim leases, retry and complete are fenced by attempts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "", 0), sampleExecution("t1", "e1", 0), sampleExecution("t1", "e2", 5)), "create")
		mustNil(t, s.CreateUser(ctx, sampleUser("t2", "u1", "a@example.com", "", 0), sampleExecution("t2", "x1", 0)), "other tenant")
		got, err := s.ClaimExecutions(ctx, "t1", at(1), 30*time.Second, 10)
		mustNil(t, err, "claim")
		want := sampleExecution("t1", "e1", 0)
		want.Attempts, want.NextAt = 1, at(31)
		mustEqual(t, got, []storage.Execution{want}, "claimed the one due")
		again, err := s.ClaimExecutions(ctx, "t1", at(10), 30*time.Second, 10)
		mustNil(t, err, "claim during lease")
		mustEqual(t, len(again), 1, "only e2 is due at 10s")
		mustEqual(t, again[0].ID, "e2", "e2")
		// The lease of e1 ends: a second claim (a replica after a crash)
		// takes it, and the first claim can no longer touch it.
		second, err := s.ClaimExecutions(ctx, "t1", at(31), 30*time.Second, 10)
		mustNil(t, err, "claim after lease")
		mustEqual(t, len(second), 1, "e1 again")
		mustEqual(t, second[0].Attempts, 2, "second attempt")
		mustNil(t, s.CompleteExecution(ctx, got[0]), "stale complete")
		mustNil(t, s.RetryExecution(ctx, got[0], at(0), "stale"), "stale retry")
		list, _ := s.ListExecutions(ctx, "t1")
		mustEqual(t, len(list), 2, "stale claim changed nothing")
		mustEqual(t, list[0].NextAt, at(61), "lease of the second claim kept")
		mustNil(t, s.RetryExecution(ctx, second[0], at(100), "boom"), "retry")
		list, _ = s.ListExecutions(ctx, "t1")
		mustEqual(t, [2]any{list[0].NextAt, list[0].LastError}, [2]any{at(100), "boom"}, "rescheduled")
		mustNil(t, s.CompleteExecution(ctx, again[0]), "complete e2")
		list, _ = s.ListExecutions(ctx, "t1")
		mustEqual(t, len(list), 1, "e2 gone")
		none, err := s.ClaimExecutions(ctx, "t1", at(99), 30*time.Second, 10)
		mustNil(t, err, "claim before retry")
		mustEqual(t, len(none), 0, "nothing due before the retry")
		other, _ := s.ListExecutions(ctx, "t2")
		mustEqual(t, len(other), 1, "other tenant untouched")
	})
	t.Run("concurrent claims never share a row", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var then []storage.Execution
		for i := range 40 {
			then = append(then, sampleExecution("t1", fmt.Sprintf("e%02d", i), 0))
		}
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "", 0), then...), "create")
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimExecutions(ctx, "t1", at(1), time.Minute, 3)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, e := range got {
						seen[e.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		mustEqual(t, len(seen), 40, "every row claimed")
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%s claimed %d times", id, n)
			}
		}
	})
}
