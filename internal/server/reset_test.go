package server_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// resetPage opens a ticket's page and returns its CSRF token (also its cookie).
func resetPage(t *testing.T, s *servertest.Server, path string) (servertest.Response, string) {
	t.Helper()
	r := s.Do("GET", path, "", nil, nil)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(string(r.Body))
	if m == nil {
		return r, ""
	}
	return r, m[1]
}

// resetSubmit posts the form without following the redirect to result_url.
func resetSubmit(t *testing.T, s *servertest.Server, path, csrf, pw, confirm string) servertest.Response {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(url.Values{"csrf": {csrf}, "password": {pw},
		"password_confirm": {confirm}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "tokenhook_reset_csrf="+csrf)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return servertest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func resetTicket(t *testing.T, s *servertest.Server, userID string, ttl int) string {
	t.Helper()
	m := s.MustAPI(201, "POST", "/tickets/password-change", map[string]any{"user_id": userID, "ttl_sec": ttl,
		"result_url": "https://app.example/after?x=1"})
	link := m["ticket"].(string)
	if !strings.HasPrefix(link, s.URL+"lo/reset?ticket=") {
		t.Fatalf("ticket %q", link)
	}
	return strings.TrimPrefix(link, s.URL)
}

func TestResetTicketExpiresAndIsSingleUse(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	u := s.MustAPI(201, "POST", "/users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "ann@example.com", "password": "first password"})
	id := u["user_id"].(string)

	// Expiry, on the server's clock.
	old := resetTicket(t, s, id, 60)
	if r, csrf := resetPage(t, s, old); r.Status != 200 || csrf == "" || r.Header.Get("Cache-Control") != "no-store" ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("fresh ticket: %d %v %s", r.Status, r.Header, r.Body)
	}
	s.Clock.Advance(61 * time.Second)
	if r, _ := resetPage(t, s, old); r.Status != 404 || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("expired ticket: %d %s", r.Status, r.Body)
	}

	path := resetTicket(t, s, id, 0)
	_, csrf := resetPage(t, s, path)
	for _, c := range []struct{ pw, confirm, want string }{
		{"short", "short", "too weak"},
		{"a long password", "another long one", "do not match"},
		{strings.Repeat("x", 73), strings.Repeat("x", 73), "too weak"},
	} {
		// A refused password keeps the ticket and shows the form again.
		if r := resetSubmit(t, s, path, csrf, c.pw, c.confirm); r.Status != 400 || !strings.Contains(string(r.Body), c.want) ||
			!strings.Contains(string(r.Body), "<form") {
			t.Fatalf("%q: %d %s", c.pw, r.Status, r.Body)
		}
	}
	r := resetSubmit(t, s, path, csrf, "second password", "second password")
	if r.Status != 303 || r.Header.Get("Location") != "https://app.example/after?x=1" {
		t.Fatalf("change: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := resetSubmit(t, s, path, csrf, "third password", "third password"); r.Status != 404 {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	// The tenant log, written in the background, has the change (Auth0's
	// scp): poll until the event is there.
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := s.API("GET", "/logs?q=type:scp", nil)
		if strings.Contains(string(logs.Body), "ann@example.com") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scp event: %s", logs.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
