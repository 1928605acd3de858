package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the test schema

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// gatedHasher counts compares and holds each one until the test opens the
// gate, so every concurrent login is either answered or inside a compare
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

// testPostgresDB returns a DSN on a fresh schema of the test PostgreSQL,
// dropped when t ends. Under -short (make test-unit) it skips t: the
// SQLite run of the same test stays in the fast loop.
func testPostgresDB(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: PostgreSQL runs in make test")
	}
	base := os.Getenv("TOKENHOOK_TEST_POSTGRES_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if err := admin.PingContext(t.Context()); err != nil {
		if os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" {
			t.Skip("TOKENHOOK_SKIP_POSTGRES=1")
		}
		t.Fatalf("PostgreSQL unreachable (set TOKENHOOK_SKIP_POSTGRES=1 to skip): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "tokenhook_lockout_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestConcurrentLoginsRunAtMostThresholdCompares fires 200 concurrent
// wrong passwords at the real token endpoint over HTTP, on SQLite and on
// PostgreSQL, for an existing user and for an unknown name: at most the
// brute-force threshold of bcrypt compares run; every other attempt gets
// 429 without one. Then a success resets the counter.
func TestConcurrentLoginsRunAtMostThresholdCompares(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.HookIsolation = "none"
			cfg.BcryptCost = password.MinCost
			cfg.MasterKey = strings.Repeat("ab", 32)
			if backend == "postgres" {
				cfg.DB = testPostgresDB(t)
			}
			ctx := t.Context()
			s, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			hasher, _ := password.NewHasher(password.MinCost)
			now := time.Now().UTC()
			for _, name := range []string{"ann", "bob"} {
				hash, _ := hasher.Hash(name + "-right-password")
				if err := s.store.CreateUser(ctx, storage.User{Tenant: cfg.Tenant, UserID: "auth0|" + name, Connection: storage.DatabaseConnection,
					Email: name + "@example.com", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.store.CreateClient(ctx, storage.Client{Tenant: cfg.Tenant, ClientID: "mobile", Name: "mobile", AppType: "native",
				GrantTypes: []string{"password"}, TokenEndpointAuthMethod: "none", CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := s.cache.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			t.Cleanup(srv.Close)
			login := func(user, pw string) int {
				body := url.Values{"grant_type": {"password"}, "client_id": {"mobile"}, "username": {user}, "password": {pw}, "scope": {"openid"}}
				res, err := http.Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(body.Encode()))
				if err != nil {
					t.Error(err)
					return 0
				}
				res.Body.Close()
				return res.StatusCode
			}
			threshold := cfg.BruteForceThreshold

			for _, user := range []string{"ann@example.com", "nobody@example.com"} {
				g := &gatedHasher{Hasher: hasher, entered: make(chan struct{}, 256), gate: make(chan struct{})}
				s.tokens.Passwords = g
				const n = 200 // as the issue fired: most must be refused before a compare
				codes := make(chan int, n)
				var wg sync.WaitGroup
				for range n {
					wg.Add(1)
					go func() { defer wg.Done(); codes <- login(user, "wrong password") }()
				}
				var entered, answered int
				count := map[int]int{}
				// One attempt compares (held by the gate below) while
				// threshold more wait for its turn (password.AttemptGate);
				// every other attempt is answered at once.
				for entered < 1 || answered < n-1-threshold {
					select {
					case <-g.entered:
						entered++
					case c := <-codes:
						answered++
						count[c]++
					}
				}
				close(g.gate)
				wg.Wait()
				close(codes)
				for c := range codes {
					count[c]++
				}
				compares := int(g.n.Load())
				t.Logf("%s: %d concurrent wrong passwords ran %d compares; answers %v", user, n, compares, count)
				if compares > threshold {
					t.Fatalf("%s: %d compares ran for %d concurrent attempts, want at most %d", user, compares, n, threshold)
				}
				if count[http.StatusForbidden] != compares || count[http.StatusTooManyRequests] != n-compares {
					t.Fatalf("%s: answers %v after %d compares", user, count, compares)
				}
			}

			// A success resets the counter: threshold-1 failures, the right
			// password, then a full threshold of failures again.
			s.tokens.Passwords = hasher
			for i := range threshold - 1 {
				if c := login("bob@example.com", "wrong"); c != http.StatusForbidden {
					t.Fatalf("failure %d: %d", i+1, c)
				}
			}
			if c := login("bob@example.com", "bob-right-password"); c != http.StatusOK {
				t.Fatalf("right password: %d", c)
			}
			for i := range threshold {
				if c := login("bob@example.com", "wrong"); c != http.StatusForbidden {
					t.Fatalf("failure %d after the success: %d", i+1, c)
				}
			}
			if c := login("bob@example.com", "bob-right-password"); c != http.StatusTooManyRequests {
				t.Fatalf("past the threshold: %d, want 429", c)
			}
		})
	}
}
