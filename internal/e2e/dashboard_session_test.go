package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardSessions covers the dashboard's sign-in and session rules
// over plain HTTP (no browser needed): the --dev operator, cookie flags,
// the CSRF token on Management API writes, sign-out, throttling and the
// page's security headers.
func TestDashboardSessions(t *testing.T) {
	in := start(t, options{args: []string{"--dev"}, noAdmin: true})
	m := regexp.MustCompile(`sign in as (\S+) with password (\S+)`).FindStringSubmatch(in.output())
	if m == nil {
		t.Fatalf("--dev printed no dashboard sign-in:\n%s", in.output())
	}
	email, password := m[1], m[2]
	if email != "admin@tokenhook.local" {
		t.Fatalf("dev operator %q", email)
	}

	page := in.do("GET", "", "", nil, nil)
	csp := page.header.Get("Content-Security-Policy")
	if page.status != 200 || !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self';") ||
		strings.Contains(csp, "unsafe-inline") || page.header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET /: %d, CSP %q, XFO %q", page.status, csp, page.header.Get("X-Frame-Options"))
	}

	login := func(pw string) response {
		return in.do("POST", "dashboard/api/login", "application/json", strings.NewReader(`{"email":"`+strings.ToUpper(email)+`","password":"`+pw+`"}`), nil)
	}
	r := login(password)
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "tokenhook_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Fatalf("session cookie: %+v", cookie)
	}
	csrf := r.json(t)["csrf_token"].(string)
	withCookie := http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}}

	s := in.do("GET", "dashboard/api/session", "", nil, withCookie)
	if s.status != 200 || s.json(t)["email"] != email || s.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("session: %d %s %v", s.status, s.body, s.header)
	}
	if r := in.do("GET", "api/v2/hooks", "", nil, withCookie); r.status != 200 {
		t.Fatalf("GET /api/v2/hooks with the cookie: %d %s", r.status, r.body)
	}
	body := `{"name":"h","triggerId":"credentials-exchange","script":"module.exports = function(a,b,c,d,cb){cb(null,{})}"}`
	if r := in.do("POST", "api/v2/hooks", "application/json", strings.NewReader(body), withCookie); r.status != 403 {
		t.Fatalf("POST without the CSRF token: %d %s", r.status, r.body)
	}
	bad := http.Header{"Cookie": withCookie["Cookie"], "X-Csrf-Token": {"wrong"}}
	if r := in.do("POST", "api/v2/hooks", "application/json", strings.NewReader(body), bad); r.status != 403 {
		t.Fatalf("POST with a wrong CSRF token: %d %s", r.status, r.body)
	}
	good := http.Header{"Cookie": withCookie["Cookie"], "X-Csrf-Token": {csrf}}
	if r := in.do("POST", "api/v2/hooks", "application/json", strings.NewReader(body), good); r.status != 201 {
		t.Fatalf("POST with the CSRF token: %d %s", r.status, r.body)
	}

	// Sign out deletes the session: the same cookie is refused afterwards.
	if r := in.do("POST", "dashboard/api/logout", "", nil, good); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := in.do("GET", "api/v2/hooks", "", nil, withCookie); r.status != 401 {
		t.Fatalf("GET with a signed-out cookie: %d %s", r.status, r.body)
	}
	if r := in.do("GET", "dashboard/api/session", "", nil, withCookie); r.status != 401 {
		t.Fatalf("session after logout: %d %s", r.status, r.body)
	}

	// Guessing is throttled: after 5 failures even the right password waits.
	for i := 0; i < 5; i++ {
		if r := login("wrong-password"); r.status != 401 {
			t.Fatalf("failed login %d: %d %s", i, r.status, r.body)
		}
	}
	if r := login(password); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("login after 5 failures: %d %s %v", r.status, r.body, r.header)
	}
}
