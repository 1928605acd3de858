package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// loginVia posts a password login carrying X-Forwarded-For, as a reverse
// proxy would.
func (in *instance) loginVia(clientID, username, password, xff string) response {
	in.t.Helper()
	v := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "username": {username}, "password": {password}, "audience": {usersAPI}}
	return in.do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()), http.Header{"X-Forwarded-For": {xff}})
}

// TestTrustedProxies: behind a trusted proxy, the lockout counts per
// forwarded client, so one attacker does not block a user for everyone,
// and log events name the client; a header from an untrusted peer is
// ignored, so it cannot dodge the lockout.
func TestTrustedProxies(t *testing.T) {
	args := append([]string{"--brute-force-threshold", "3", "--trusted-proxies", "127.0.0.0/8"}, fastBcrypt...)
	in := start(t, options{args: args})
	_, _, publicID := in.passwordApps()
	in.ann()
	for range 3 {
		pwStatus(t, in.loginVia(publicID, "ann", "wrong password", "203.0.113.66, 198.51.100.1"), 403, "failure")
	}
	pwStatus(t, in.loginVia(publicID, "ann", annPassword, "198.51.100.1"), 429, "the attacker's address is blocked")
	pwStatus(t, in.loginVia(publicID, "ann", annPassword, "198.51.100.2"), 200, "another client behind the proxy is not")
	// The left part was forged by the client: the right-most untrusted
	// address is what counted.
	pwStatus(t, in.loginVia(publicID, "ann", annPassword, "203.0.113.66"), 200, "the forged address was not counted")
	waitFor(t, 5*time.Second, "a log event naming the forwarded client", func() bool {
		return strings.Contains(string(in.api("GET", "logs", nil).body), `"ip":"198.51.100.1"`)
	})

	direct := start(t, options{args: append([]string{"--brute-force-threshold", "3"}, fastBcrypt...)})
	_, _, publicID = direct.passwordApps()
	direct.ann()
	for i := range 3 {
		pwStatus(t, direct.loginVia(publicID, "ann", "wrong password", "198.51.100."+string(rune('1'+i))), 403, "failure")
	}
	pwStatus(t, direct.loginVia(publicID, "ann", annPassword, "198.51.100.9"), 429, "an untrusted peer's header is ignored")
}

// TestConcurrentWrongPasswordsThroughTheBinary: 200 concurrent wrong
// passwords at the real binary, on SQLite and PostgreSQL, for a user and
// for an unknown name: each compare answers 403, so at most the threshold
// of 403s and 429 for every other attempt (the compare count itself is
// checked with an injected hasher in internal/server).
func TestConcurrentWrongPasswordsThroughTheBinary(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			o := options{args: fastBcrypt}
			if backend == "postgres" {
				o.db = postgresURL(t)
			}
			in := start(t, o)
			_, _, publicID := in.passwordApps()
			in.ann()
			// Below the server's per-address connection cap.
			in.client.Transport = &http.Transport{MaxConnsPerHost: 50, MaxIdleConnsPerHost: 50}
			for _, user := range []string{"ann", "nobody@example.com"} {
				const n = 200
				var mu sync.Mutex
				count := map[int]int{}
				var wg sync.WaitGroup
				for range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := in.loginVia(publicID, user, "wrong password", "")
						mu.Lock()
						count[r.status]++
						mu.Unlock()
					}()
				}
				wg.Wait()
				t.Logf("%s: %d concurrent wrong passwords: %v", user, n, count)
				if count[403] > 10 || count[403]+count[429] != n {
					t.Fatalf("%s: answers %v, want at most 10 × 403 and 429 for the rest", user, count)
				}
			}
		})
	}
}
