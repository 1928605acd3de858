package storagetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

const conn = storage.DatabaseConnection

func sampleUser(tenant, id, email, username string, created int) storage.User {
	return storage.User{
		Tenant:        tenant,
		UserID:        "auth0|" + id,
		Connection:    conn,
		Email:         email,
		Username:      username,
		EmailVerified: true,
		Name:          "Name of " + id,
		GivenName:     "Given " + id,
		FamilyName:    "Family " + id,
		Nickname:      id,
		Picture:       "https://example.com/" + id + ".png",
		UserMetadata:  map[string]any{"hobby": "surfing", "n": 1.5},
		AppMetadata:   map[string]any{"plan": "full", "roles": []any{"a", "b"}},
		PasswordHash:  "$2a$10$hash-of-" + id,
		CreatedAt:     at(created),
		UpdatedAt:     at(created),
	}
}

func userIDs(list []storage.User) []string {
	var out []string
	for _, u := range list {
		out = append(out, u.UserID)
	}
	return out
}

func testUsers(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("create get round-trips everything", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := sampleUser("t1", "u1", "Ann@Example.com", "Ann_1", 0)
		last := at(5)
		want.LastLogin, want.LoginsCount, want.LastIP, want.Blocked = &last, 3, "10.0.0.1", true
		mustNil(t, s.CreateUser(ctx, want), "create")
		got, err := s.GetUser(ctx, "t1", want.UserID)
		mustNil(t, err, "get")
		mustEqual(t, got, want, "user")
		noName := storage.User{Tenant: "t1", UserID: "auth0|bare", Connection: conn, Email: "bare@example.com", CreatedAt: at(1), UpdatedAt: at(1)}
		mustNil(t, s.CreateUser(ctx, noName), "create minimal")
		got, err = s.GetUser(ctx, "t1", noName.UserID)
		mustNil(t, err, "get minimal")
		mustEqual(t, got, noName, "minimal user")
	})
	t.Run("active users are those logged in since", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i, id := range []string{"a", "b", "c", "never"} {
			mustNil(t, s.CreateUser(ctx, sampleUser("t1", id, id+"@example.com", "", i)), "create")
		}
		mustNil(t, s.CreateUser(ctx, sampleUser("t2", "a", "a@example.com", "", 0)), "create in another tenant")
		for id, when := range map[string]int{"a": 100, "b": 200, "c": 300} {
			mustNil(t, s.RecordLogin(ctx, "t1", "auth0|"+id, "192.0.2.1", at(when)), "record login")
		}
		mustNil(t, s.RecordLogin(ctx, "t2", "auth0|a", "192.0.2.1", at(300)), "record login in another tenant")
		for since, want := range map[int]int{0: 3, 200: 2, 201: 1, 301: 0} {
			n, err := s.CountActiveUsers(ctx, "t1", at(since))
			mustNil(t, err, "count active users")
			mustEqual(t, n, want, fmt.Sprintf("active since %d", since))
		}
	})
	t.Run("lookups ignore case and unknowns are not found", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := sampleUser("t1", "u1", "Ann@Example.com", "Ann_1", 0)
		mustNil(t, s.CreateUser(ctx, u), "create")
		for _, login := range []string{"ann@example.com", "ANN@EXAMPLE.COM", "ann_1", "ANN_1"} {
			got, err := s.GetUserByLogin(ctx, "t1", conn, login)
			mustNil(t, err, "by login "+login)
			mustEqual(t, got.UserID, u.UserID, "by login "+login)
		}
		got, err := s.GetUserByEmail(ctx, "t1", conn, "aNN@example.COM")
		mustNil(t, err, "by email")
		mustEqual(t, got.UserID, u.UserID, "by email")
		_, err = s.GetUserByEmail(ctx, "t1", conn, "ann_1")
		mustIs(t, err, storage.ErrNotFound, "a username is not an email")
		_, err = s.GetUserByLogin(ctx, "t1", "other-connection", "ann@example.com")
		mustIs(t, err, storage.ErrNotFound, "other connection")
		_, err = s.GetUserByLogin(ctx, "t1", conn, "nobody")
		mustIs(t, err, storage.ErrNotFound, "unknown login")
		_, err = s.GetUser(ctx, "t1", "auth0|missing")
		mustIs(t, err, storage.ErrNotFound, "unknown id")
		_, err = s.UpdateUser(ctx, "t1", "auth0|missing", func(u storage.User) (storage.User, error) { return u, nil })
		mustIs(t, err, storage.ErrNotFound, "update unknown")
		mustIs(t, s.DeleteUser(ctx, "t1", "auth0|missing"), storage.ErrNotFound, "delete unknown")
		mustIs(t, s.RecordLogin(ctx, "t1", "auth0|missing", "1.1.1.1", at(1)), storage.ErrNotFound, "record login of unknown")
	})
	t.Run("unique id, email and username per connection", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "alpha", 0)), "create u1")
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u2", "b@example.com", "", 0)), "create u2 without username")
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u3", "c@example.com", "", 0)), "a second user without username")
		mustIs(t, s.CreateUser(ctx, sampleUser("t1", "u4", "A@EXAMPLE.COM", "", 0)), storage.ErrConflict, "email differing in case")
		mustIs(t, s.CreateUser(ctx, sampleUser("t1", "u4", "d@example.com", "ALPHA", 0)), storage.ErrConflict, "username differing in case")
		mustIs(t, s.CreateUser(ctx, sampleUser("t1", "u1", "e@example.com", "", 0)), storage.ErrConflict, "same id")
		other := sampleUser("t1", "u5", "a@example.com", "alpha", 0)
		other.Connection = "other-connection"
		mustNil(t, s.CreateUser(ctx, other), "same email in another connection")
		mustNil(t, s.CreateUser(ctx, sampleUser("t2", "u1", "a@example.com", "alpha", 0)), "same everything in another tenant")
		_, err := s.UpdateUser(ctx, "t1", "auth0|u2", func(u storage.User) (storage.User, error) { u.Email = "A@example.com"; return u, nil })
		mustIs(t, err, storage.ErrConflict, "change email onto a taken one")
		_, err = s.UpdateUser(ctx, "t1", "auth0|u2", func(u storage.User) (storage.User, error) { u.Username = "Alpha"; return u, nil })
		mustIs(t, err, storage.ErrConflict, "change username onto a taken one")
	})
	t.Run("list searches, filters, orders and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		users := []storage.User{
			sampleUser("t1", "u3", "carol@corp.example", "carol", 2),
			sampleUser("t1", "u1", "ann@example.com", "", 0),
			sampleUser("t1", "u2", "bob@example.com", "bobby_100%", 1),
			sampleUser("t2", "u9", "ann@example.com", "", 0),
		}
		users[0].Name = "Carol Danvers"
		for _, u := range users {
			mustNil(t, s.CreateUser(ctx, u), "create "+u.UserID)
		}
		cases := []struct {
			name  string
			q     storage.UserQuery
			want  []string
			total int
		}{
			{"all", storage.UserQuery{}, []string{"auth0|u1", "auth0|u2", "auth0|u3"}, 3},
			{"email substring", storage.UserQuery{Search: "EXAMPLE.com"}, []string{"auth0|u1", "auth0|u2"}, 2},
			{"name substring", storage.UserQuery{Search: "danvers"}, []string{"auth0|u3"}, 1},
			{"username substring", storage.UserQuery{Search: "bobby"}, []string{"auth0|u2"}, 1},
			{"percent is literal", storage.UserQuery{Search: "0%"}, []string{"auth0|u2"}, 1},
			{"underscore is literal", storage.UserQuery{Search: "y_1"}, []string{"auth0|u2"}, 1},
			{"wildcards match nothing else", storage.UserQuery{Search: "%"}, []string{"auth0|u2"}, 1},
			{"exact email ignoring case", storage.UserQuery{Email: "ANN@example.com"}, []string{"auth0|u1"}, 1},
			{"exact email is not a substring", storage.UserQuery{Email: "ann@example"}, nil, 0},
			{"paged", storage.UserQuery{Page: storage.Page{Page: 1, PerPage: 2}}, []string{"auth0|u3"}, 3},
			{"newest first", storage.UserQuery{SortBy: "created_at", Descending: true}, []string{"auth0|u3", "auth0|u2", "auth0|u1"}, 3},
			{"by email", storage.UserQuery{SortBy: "email"}, []string{"auth0|u1", "auth0|u2", "auth0|u3"}, 3},
			{"by name descending", storage.UserQuery{SortBy: "name", Descending: true}, []string{"auth0|u2", "auth0|u1", "auth0|u3"}, 3},
			{"without a username last", storage.UserQuery{SortBy: "username"}, []string{"auth0|u2", "auth0|u3", "auth0|u1"}, 3},
			{"without a username last, descending", storage.UserQuery{SortBy: "username", Descending: true}, []string{"auth0|u3", "auth0|u2", "auth0|u1"}, 3},
			{"sorted and paged", storage.UserQuery{SortBy: "email", Descending: true, Page: storage.Page{Page: 1, PerPage: 2}}, []string{"auth0|u1"}, 3},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				list, total, err := s.ListUsers(ctx, "t1", tc.q)
				mustNil(t, err, "list")
				mustEqual(t, total, tc.total, "total")
				mustEqual(t, userIDs(list), tc.want, "ids")
			})
		}
	})
	t.Run("update keeps login statistics and aborts on error", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		orig := sampleUser("t1", "u1", "a@example.com", "alpha", 0)
		mustNil(t, s.CreateUser(ctx, orig), "create")
		mustNil(t, s.RecordLogin(ctx, "t1", orig.UserID, "192.0.2.7", at(3)), "record login")
		got, err := s.UpdateUser(ctx, "t1", orig.UserID, func(u storage.User) (storage.User, error) {
			mustEqual(t, u.LoginsCount, 1, "fn sees the statistics")
			u.Email, u.Username, u.PasswordHash, u.UpdatedAt = "new@example.com", "", "$2a$10$new", at(9)
			u.AppMetadata = map[string]any{"plan": "free"}
			u.LoginsCount, u.LastIP = 100, "evil" // ignored: only RecordLogin writes these
			return u, nil
		})
		mustNil(t, err, "update")
		last := at(3)
		want := orig
		want.Email, want.Username, want.PasswordHash, want.UpdatedAt = "new@example.com", "", "$2a$10$new", at(9)
		want.AppMetadata = map[string]any{"plan": "free"}
		want.LastLogin, want.LoginsCount, want.LastIP = &last, 1, "192.0.2.7"
		mustEqual(t, got, want, "returned")
		read, err := s.GetUser(ctx, "t1", orig.UserID)
		mustNil(t, err, "get")
		mustEqual(t, read, want, "stored")
		_, err = s.GetUserByLogin(ctx, "t1", conn, "alpha")
		mustIs(t, err, storage.ErrNotFound, "the removed username no longer logs in")
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u2", "a@example.com", "alpha", 1)), "the old email and username are free")
		_, err = s.UpdateUser(ctx, "t1", orig.UserID, func(u storage.User) (storage.User, error) {
			u.Blocked = true
			return u, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		read, err = s.GetUser(ctx, "t1", orig.UserID)
		mustNil(t, err, "get after aborted update")
		mustEqual(t, read, want, "after aborted update")
	})
	t.Run("concurrent logins are all counted", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "", 0)), "create")
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.RecordLogin(ctx, "t1", "auth0|u1", "10.0.0.1", at(i))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustNil(t, err, "record login")
		}
		u, err := s.GetUser(ctx, "t1", "auth0|u1")
		mustNil(t, err, "get")
		mustEqual(t, u.LoginsCount, n, "logins_count")
		if u.LastLogin == nil || u.LastIP != "10.0.0.1" {
			t.Fatalf("last login %v from %q", u.LastLogin, u.LastIP)
		}
	})
	t.Run("failed logins count per user and ip, exactly under concurrency", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const n = 30
		var wg sync.WaitGroup
		counts := make(chan int, n)
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(10), at(0), 1000)
				counts <- c
				errs <- err
			}()
		}
		wg.Wait()
		close(counts)
		close(errs)
		for err := range errs {
			mustNil(t, err, "record failure")
		}
		var seen []int
		for c := range counts {
			seen = append(seen, c)
		}
		slices.Sort(seen)
		for i, c := range seen {
			if c != i+1 {
				t.Fatalf("each failure must see its own count 1..%d, got %v", n, seen)
			}
		}
		f, err := s.GetFailedLogins(ctx, "t1", "auth0|u1", "10.0.0.1")
		mustNil(t, err, "get")
		mustEqual(t, f, storage.FailedLogins{UserID: "auth0|u1", IP: "10.0.0.1", Count: n, Last: at(10)}, "counter")

		c, err := s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.2", at(11), at(0), 1000)
		mustNil(t, err, "other ip")
		mustEqual(t, c, 1, "another ip counts apart")
		c, err = s.CountLoginAttempt(ctx, "t2", "auth0|u1", "10.0.0.1", at(11), at(0), 1000)
		mustNil(t, err, "other tenant")
		mustEqual(t, c, 1, "another tenant counts apart")
		f, err = s.GetFailedLogins(ctx, "t1", "auth0|u1", "10.0.0.9")
		mustNil(t, err, "get none")
		mustEqual(t, f.Count, 0, "no counter")

		list, err := s.ListFailedLogins(ctx, "t1", "auth0|u1")
		mustNil(t, err, "list")
		mustEqual(t, list, []storage.FailedLogins{
			{UserID: "auth0|u1", IP: "10.0.0.1", Count: n, Last: at(10)},
			{UserID: "auth0|u1", IP: "10.0.0.2", Count: 1, Last: at(11)},
		}, "list")

		// A counter last touched before staleBefore starts again.
		c, err = s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(100), at(50), 1000)
		mustNil(t, err, "stale")
		mustEqual(t, c, 1, "a stale counter restarts")

		mustNil(t, s.ResetFailedLogins(ctx, "t1", "auth0|u1", "10.0.0.1"), "reset one ip")
		list, err = s.ListFailedLogins(ctx, "t1", "auth0|u1")
		mustNil(t, err, "list after reset")
		mustEqual(t, len(list), 1, "one ip left")
		mustNil(t, s.ResetFailedLogins(ctx, "t1", "auth0|u1", ""), "reset all")
		mustNil(t, s.ResetFailedLogins(ctx, "t1", "auth0|u1", ""), "reset nothing")
		list, err = s.ListFailedLogins(ctx, "t1", "auth0|u1")
		mustNil(t, err, "list after reset all")
		mustEqual(t, len(list), 0, "all forgotten")
		f, err = s.GetFailedLogins(ctx, "t2", "auth0|u1", "10.0.0.1")
		mustNil(t, err, "other tenant")
		mustEqual(t, f.Count, 1, "other tenant untouched")
	})
	t.Run("login attempts are counted atomically before the compare", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		// 200 concurrent attempts each see a distinct count, so a caller
		// that compares only up to the limit runs exactly limit compares.
		const n, limit = 200, 10
		var wg sync.WaitGroup
		counts := make(chan int, n)
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(10), at(0), limit)
				counts <- c
				errs <- err
			}()
		}
		wg.Wait()
		close(counts)
		close(errs)
		for err := range errs {
			mustNil(t, err, "count attempt")
		}
		var seen []int
		for c := range counts {
			seen = append(seen, c)
		}
		slices.Sort(seen)
		for i, c := range seen {
			if c != i+1 {
				t.Fatalf("each attempt must see its own count 1..%d, got %v", n, seen)
			}
		}
		// Past the limit, attempts count but do not extend the block.
		c, err := s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(20), at(0), limit)
		mustNil(t, err, "attempt past the limit")
		mustEqual(t, c, n+1, "count past the limit")
		f, err := s.GetFailedLogins(ctx, "t1", "auth0|u1", "10.0.0.1")
		mustNil(t, err, "get")
		mustEqual(t, f, storage.FailedLogins{UserID: "auth0|u1", IP: "10.0.0.1", Count: n + 1, Last: at(10)}, "last stays at the attempts within the limit")
		// Below the limit, each attempt moves Last.
		for i := 1; i <= 3; i++ {
			c, err := s.CountLoginAttempt(ctx, "t1", "login:abc", "10.0.0.2", at(10+i), at(0), 3)
			mustNil(t, err, "attempt")
			mustEqual(t, c, i, "count")
		}
		c, err = s.CountLoginAttempt(ctx, "t1", "login:abc", "10.0.0.2", at(30), at(0), 3)
		mustNil(t, err, "fourth attempt")
		mustEqual(t, c, 4, "fourth attempt counts")
		f, err = s.GetFailedLogins(ctx, "t1", "login:abc", "10.0.0.2")
		mustNil(t, err, "get")
		mustEqual(t, f.Last, at(13), "last is the attempt that reached the limit")
		// A stale counter starts again, whatever its count.
		c, err = s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(100), at(50), limit)
		mustNil(t, err, "stale")
		mustEqual(t, c, 1, "a stale counter restarts")
		f, err = s.GetFailedLogins(ctx, "t1", "auth0|u1", "10.0.0.1")
		mustNil(t, err, "get")
		mustEqual(t, f.Last, at(100), "a restarted counter is fresh")
		// Other tenants, keys and IPs count apart.
		c, err = s.CountLoginAttempt(ctx, "t2", "auth0|u1", "10.0.0.1", at(100), at(50), limit)
		mustNil(t, err, "other tenant")
		mustEqual(t, c, 1, "another tenant counts apart")
		// A success resets.
		mustNil(t, s.ResetFailedLogins(ctx, "t1", "auth0|u1", "10.0.0.1"), "reset")
		c, err = s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(101), at(50), limit)
		mustNil(t, err, "after reset")
		mustEqual(t, c, 1, "a reset counter starts from 1")

		// The sweep forgets what no longer blocks, in every tenant.
		removed, err := s.DeleteFailedLoginsBefore(ctx, at(50))
		mustNil(t, err, "sweep")
		mustEqual(t, removed, 1, "stale counters removed (login:abc)")
		f, err = s.GetFailedLogins(ctx, "t1", "login:abc", "10.0.0.2")
		mustNil(t, err, "get swept")
		mustEqual(t, f.Count, 0, "swept counter")
		f, err = s.GetFailedLogins(ctx, "t2", "auth0|u1", "10.0.0.1")
		mustNil(t, err, "get kept")
		mustEqual(t, f.Count, 1, "fresh counter kept")
	})
	t.Run("delete forgets the user and its counters", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "alpha", 0)), "create")
		_, err := s.CountLoginAttempt(ctx, "t1", "auth0|u1", "10.0.0.1", at(1), at(0), 1000)
		mustNil(t, err, "failure")
		mustNil(t, s.DeleteUser(ctx, "t1", "auth0|u1"), "delete")
		_, err = s.GetUser(ctx, "t1", "auth0|u1")
		mustIs(t, err, storage.ErrNotFound, "get deleted")
		list, err := s.ListFailedLogins(ctx, "t1", "auth0|u1")
		mustNil(t, err, "list failures")
		mustEqual(t, len(list), 0, "counters gone")
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "alpha", 0)), "id, email and username are free again")
	})
	t.Run("user writes announce no catalog change", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		ch := s.Subscribe(ctx)
		mustNil(t, s.CreateUser(ctx, sampleUser("t1", "u1", "a@example.com", "", 0)), "create")
		_, err := s.UpdateUser(ctx, "t1", "auth0|u1", func(u storage.User) (storage.User, error) { u.Name = "x"; return u, nil })
		mustNil(t, err, "update")
		mustNil(t, s.DeleteUser(ctx, "t1", "auth0|u1"), "delete")
		for _, c := range barrier(t, s, ch, "users") {
			t.Fatalf("user write announced %+v", c)
		}
	})
}
