package dashboard

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// gatedHasher counts compares and holds each one until the test opens the
// gate, so every concurrent sign-in is either refused or inside a compare
// at the same instant, whatever the machine's speed.
type gatedHasher struct {
	*password.Hasher
	entered chan struct{}
	gate    chan struct{}
	n       atomic.Int32
}

func (g *gatedHasher) hold() {
	g.n.Add(1)
	g.entered <- struct{}{}
	<-g.gate
}

func (g *gatedHasher) Matches(hash, pw string) bool { g.hold(); return g.Hasher.Matches(hash, pw) }
func (g *gatedHasher) Waste(pw string)              { g.hold(); g.Hasher.Waste(pw) }

func newLoginServer(t *testing.T, pw Passwords, hasher *password.Hasher) *httptest.Server {
	t.Helper()
	sealer, err := seal.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(t.Context(), sqlitetest.Path(t, "d.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := EnsureOperator(context.Background(), store, hasher, "t", "ada@example.com", "right password", rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := New(Deps{Store: store, Tenant: "t", Passwords: pw})
	srv := httptest.NewServer(d.APIHandler())
	t.Cleanup(srv.Close)
	return srv
}

func signIn(t *testing.T, url, email, pw string) int {
	body := `{"email":"` + email + `","password":"` + pw + `"}`
	resp, err := http.Post(url+"/dashboard/api/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestConcurrentSignInsAreThrottledBeforeTheCompare fires 200 sign-ins at
// once for an operator and for an unknown email: at most the per-email
// limit reach a bcrypt compare, and the rest get 429 (unknown emails
// alike, so a 429 does not tell which emails exist).
func TestConcurrentSignInsAreThrottledBeforeTheCompare(t *testing.T) {
	hasher, err := password.NewHasher(password.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		t.Run(email, func(t *testing.T) {
			g := &gatedHasher{Hasher: hasher, entered: make(chan struct{}, 256), gate: make(chan struct{})}
			srv := newLoginServer(t, g, hasher)
			const n = 200 // as the issue fired: most must be refused before a compare
			codes := make(chan int, n)
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes <- signIn(t, srv.URL, email, "wrong password")
				}()
			}
			// Open the gate once every request is either answered or held
			// in a compare: then no request is still on its way to one.
			var entered, answered int
			var got []int
			for entered+answered < n {
				select {
				case <-g.entered:
					entered++
				case c := <-codes:
					answered++
					got = append(got, c)
				}
			}
			close(g.gate)
			wg.Wait()
			close(codes)
			for c := range codes {
				got = append(got, c)
			}
			count := map[int]int{}
			for _, c := range got {
				count[c]++
			}
			t.Logf("%s: %d concurrent sign-ins ran %d compares; answers %v", email, n, g.n.Load(), count)
			if int(g.n.Load()) > maxFailsPerEmail {
				t.Fatalf("%d compares ran for %d concurrent sign-ins, want at most %d (answers %v)", g.n.Load(), n, maxFailsPerEmail, count)
			}
			if count[http.StatusUnauthorized] != int(g.n.Load()) || count[http.StatusTooManyRequests] != n-int(g.n.Load()) {
				t.Fatalf("answers %v after %d compares", count, g.n.Load())
			}
		})
	}
}

// TestSignInSuccessClearsTheEmailCount: failures below the limit and then
// the right password leave the email a fresh allowance, as a success
// resets Auth0's counters.
func TestSignInSuccessClearsTheEmailCount(t *testing.T) {
	hasher, err := password.NewHasher(password.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	srv := newLoginServer(t, hasher, hasher)
	for range maxFailsPerEmail - 1 {
		if c := signIn(t, srv.URL, "ada@example.com", "wrong password"); c != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", c)
		}
	}
	if c := signIn(t, srv.URL, "ada@example.com", "right password"); c != http.StatusOK {
		t.Fatalf("right password: %d", c)
	}
	for i := range maxFailsPerEmail {
		if c := signIn(t, srv.URL, "ada@example.com", "wrong password"); c != http.StatusUnauthorized {
			t.Fatalf("wrong password %d after a success: %d", i+1, c)
		}
	}
	if c := signIn(t, srv.URL, "ada@example.com", "right password"); c != http.StatusTooManyRequests {
		t.Fatalf("past the limit even the right password waits: %d", c)
	}
}

// TestSignInRefusesNonJSONBodies: a cross-site form can post text/plain
// or a urlencoded body without a preflight; sign-in takes JSON only.
func TestSignInRefusesNonJSONBodies(t *testing.T) {
	hasher, err := password.NewHasher(password.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	srv := newLoginServer(t, hasher, hasher)
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dashboard/api/login",
			strings.NewReader(`{"email":"ada@example.com","password":"right password"}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("Content-Type %q: %d, cookie %q; want 415 and no session", ct, resp.StatusCode, resp.Header.Get("Set-Cookie"))
		}
	}
}

// TestThrottleIsSharedByReplicas: two dashboards on one database (two
// replicas) share the counts, so a second replica does not grant another
// allowance.
func TestThrottleIsSharedByReplicas(t *testing.T) {
	hasher, err := password.NewHasher(password.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := seal.New(bytes.Repeat([]byte{3}, 32))
	store, err := sqlstore.Open(t.Context(), sqlitetest.Path(t, "d.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := EnsureOperator(context.Background(), store, hasher, "t", "ada@example.com", "right password", rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for range 2 {
		srv := httptest.NewServer(New(Deps{Store: store, Tenant: "t", Passwords: hasher}).APIHandler())
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	for i := range maxFailsPerEmail {
		if c := signIn(t, urls[i%2], "ada@example.com", "wrong password"); c != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, c)
		}
	}
	for _, u := range urls {
		if c := signIn(t, u, "ada@example.com", "right password"); c != http.StatusTooManyRequests {
			t.Fatalf("after the limit was reached across both replicas: %d, want 429", c)
		}
	}
}
