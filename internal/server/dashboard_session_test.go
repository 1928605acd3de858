package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// TestDashboardSessionLifetime: a session ends after the idle timeout
// without a request and at its maximum age whatever its activity, on the
// server's clock; the CSRF token guards writes.
func TestDashboardSessionLifetime(t *testing.T) {
	t.Parallel()
	const email, password = "ops@example.com", "servertest-operator-password"
	s := servertest.New(t, func(c *config.Config) {
		c.AdminEmail, c.AdminPassword = email, password
		c.SessionIdleTimeout, c.SessionMaxAge = time.Hour, 3*time.Hour
	})
	login := func() (http.Header, string) {
		t.Helper()
		r := s.Do("POST", "dashboard/api/login", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`), nil)
		if r.Status != 200 {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == "tokenhook_session" {
				return http.Header{"Cookie": {c.Name + "=" + c.Value}}, r.JSON(t)["csrf_token"].(string)
			}
		}
		t.Fatalf("no session cookie: %v", r.Header)
		return nil, ""
	}
	status := func(h http.Header) int { return s.Do("GET", "dashboard/api/session", "", nil, h).Status }

	cookie, csrf := login()
	body := `{"name":"h","triggerId":"credentials-exchange","script":"module.exports = function(a,b,c,d,cb){cb(null,{})}"}`
	if r := s.Do("POST", "api/v2/hooks", "application/json", strings.NewReader(body), cookie); r.Status != 403 {
		t.Fatalf("write without the CSRF token: %d %s", r.Status, r.Body)
	}
	withCSRF := http.Header{"Cookie": cookie["Cookie"], "X-Csrf-Token": {csrf}}
	if r := s.Do("POST", "api/v2/hooks", "application/json", strings.NewReader(body), withCSRF); r.Status != 201 {
		t.Fatalf("write with the CSRF token: %d %s", r.Status, r.Body)
	}

	// Activity keeps the session alive past one idle timeout...
	for range 2 {
		s.Clock.Advance(50 * time.Minute)
		if got := status(cookie); got != 200 {
			t.Fatalf("active session after %v: %d", 50*time.Minute, got)
		}
	}
	// ...but not past an hour of silence.
	s.Clock.Advance(time.Hour + time.Second)
	if got := status(cookie); got != 401 {
		t.Fatalf("session idle for over an hour: %d", got)
	}
	if r := s.Do("GET", "api/v2/hooks", "", nil, cookie); r.Status != 401 {
		t.Fatalf("Management API with an idle session: %d", r.Status)
	}

	// The maximum age ends even a busy session.
	cookie, _ = login()
	for range 3 {
		s.Clock.Advance(55 * time.Minute)
		if got := status(cookie); got != 200 {
			t.Fatalf("busy session: %d", got)
		}
	}
	s.Clock.Advance(20 * time.Minute)
	if got := status(cookie); got != 401 {
		t.Fatalf("session past its maximum age: %d", got)
	}
}
