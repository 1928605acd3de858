package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// signupApp starts a server with a public application to sign up through.
func signupApp(t *testing.T, configure ...func(*config.Config)) (*servertest.Server, string) {
	t.Helper()
	s := servertest.New(t, configure...)
	c := s.MustAPI(201, "POST", "/clients", map[string]any{"name": "spa", "token_endpoint_auth_method": "none", "grant_types": []string{"password"}})
	return s, c["client_id"].(string)
}

func postSignup(s *servertest.Server, body any) servertest.Response {
	b, _ := json.Marshal(body)
	return s.Do("POST", "dbconnections/signup", "application/json", bytes.NewReader(b), nil)
}

// authAPIError checks Auth0's Authentication API error shape.
func authAPIError(t *testing.T, r servertest.Response, status int, name, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	m := r.JSON(t)
	if m["name"] != name || m["code"] != code || m["statusCode"] != float64(status) {
		t.Fatalf("body %s, want name %s code %s", r.Body, name, code)
	}
	return m
}

func TestSignup(t *testing.T) {
	t.Parallel()
	s, client := signupApp(t)
	r := postSignup(s, map[string]any{"client_id": client, "email": "Ann@Example.com", "password": "correct horse",
		"connection": dbConn, "username": "ann", "given_name": "Ann", "user_metadata": map[string]any{"hobby": "surfing"}})
	if r.Status != 200 {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	id, _ := m["_id"].(string)
	if id == "" || strings.HasPrefix(id, "auth0|") || m["email"] != "ann@example.com" || m["email_verified"] != false ||
		m["username"] != "ann" || m["given_name"] != "Ann" {
		t.Fatalf("answer %s", r.Body)
	}
	if md, _ := m["user_metadata"].(map[string]any); md["hobby"] != "surfing" {
		t.Fatalf("user_metadata %v", m["user_metadata"])
	}
	u := s.MustAPI(200, "GET", "/users/"+url.PathEscape("auth0|"+id), nil)
	if u["email"] != "ann@example.com" || u["user_metadata"].(map[string]any)["hobby"] != "surfing" {
		t.Fatalf("stored user %v", u)
	}
	// The new user logs in with the password grant.
	tok := s.Token(url.Values{"grant_type": {"password"}, "client_id": {client}, "username": {"ann@example.com"},
		"password": {"correct horse"}, "scope": {"openid"}})
	if tok.Status != 200 {
		t.Fatalf("login: %d %s", tok.Status, tok.Body)
	}
	// A second signup with the same email, or the same username, is refused
	// with the text of any refused signup.
	authAPIError(t, postSignup(s, map[string]any{"client_id": client, "email": "ann@example.com", "password": "another one",
		"connection": dbConn}), 400, "BadRequestError", "invalid_signup")
	m = authAPIError(t, postSignup(s, map[string]any{"client_id": client, "email": "other@example.com", "password": "another one",
		"connection": dbConn, "username": "ann"}), 400, "BadRequestError", "invalid_signup")
	if m["description"] != "Invalid sign up" {
		t.Fatalf("description %v", m["description"])
	}
	// Form-encoded works too.
	f := url.Values{"client_id": {client}, "email": {"bob@example.com"}, "password": {"correct horse"}, "connection": {dbConn}}
	if r := s.Do("POST", "dbconnections/signup", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()), nil); r.Status != 200 {
		t.Fatalf("form signup: %d %s", r.Status, r.Body)
	}
	waitLog(t, s, "ss", "bob@example.com")
	waitLog(t, s, "fs", "ann@example.com")
}

func TestSignupErrors(t *testing.T) {
	t.Parallel()
	s, client := signupApp(t)
	ok := map[string]any{"client_id": client, "email": "a@example.com", "password": "correct horse", "connection": dbConn}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	m := authAPIError(t, postSignup(s, with("password", "short")), 400, "PasswordStrengthError", "invalid_password")
	d, _ := m["description"].(map[string]any)
	rules, _ := d["rules"].([]any)
	if d["verified"] != false || len(rules) == 0 || rules[0].(map[string]any)["verified"] != false {
		t.Fatalf("password description %s", m["description"])
	}
	for _, c := range []struct {
		body       map[string]any
		code, name string
	}{
		{with("email", nil), "bad.email", "missing email"},
		{with("email", "not an email"), "bad.email", "bad email"},
		{with("connection", "other"), "bad.connection", "unknown connection"},
		{with("connection", nil), "bad.connection", "missing connection"},
		{with("client_id", "nope"), "bad.client_id", "unknown client"},
		{with("client_id", nil), "bad.client_id", "missing client"},
		{with("password", nil), "bad.password", "missing password"},
		{with("email", 42), "invalid_body", "email not a string"},
		{with("user_metadata", "x"), "invalid_body", "metadata not an object"},
		{with("user_metadata", map[string]any{"n": 1}), "invalid_body", "metadata value not a string"},
		{with("username", "a b"), "bad.username", "bad username"},
	} {
		t.Run(c.name, func(t *testing.T) { authAPIError(t, postSignup(s, c.body), 400, "BadRequestError", c.code) })
	}
	authAPIError(t, s.Do("POST", "dbconnections/signup", "application/json", strings.NewReader("{"), nil), 400, "BadRequestError", "invalid_body")
	authAPIError(t, s.Do("POST", "dbconnections/signup", "text/plain", strings.NewReader("x"), nil), 400, "BadRequestError", "invalid_body")
	big := `{"client_id": "` + strings.Repeat("x", 10<<20) + `"}`
	if r := s.Do("POST", "dbconnections/signup", "application/json", strings.NewReader(big), nil); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("10 MB body: %d %s", r.Status, r.Body)
	}
	// Nothing above created a user.
	if u := s.API("GET", "/users?q=a@example.com", nil); !bytes.Contains(u.Body, []byte("[]")) {
		t.Fatalf("users after refused signups: %s", u.Body)
	}
}

func TestSignupRateLimit(t *testing.T) {
	t.Parallel()
	s, client := signupApp(t, func(c *config.Config) { c.SignupRateLimit = 2 })
	body := map[string]any{"client_id": client, "email": "a@example.com", "password": "x", "connection": dbConn}
	for range 2 {
		authAPIError(t, postSignup(s, body), 400, "PasswordStrengthError", "invalid_password")
	}
	authAPIError(t, postSignup(s, body), 429, "TooManyRequestsError", "too_many_requests")
	s.Clock.Advance(time.Minute)
	authAPIError(t, postSignup(s, body), 400, "PasswordStrengthError", "invalid_password")
}

// waitLog waits for the tenant log, written in the background, to hold an
// event of type typ for user.
func waitLog(t *testing.T, s *servertest.Server, typ, user string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.API("GET", "/logs?q=type:"+typ, nil)
		if r.Status == 200 && bytes.Contains(r.Body, []byte(user)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event for %s in the tenant log: %s", typ, user, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The connection's options.disable_signup and enabled_clients, set through
// /api/v2/connections, close signup.
func TestSignupClosedByConnection(t *testing.T) {
	t.Parallel()
	s, client := signupApp(t)
	r := s.API("GET", "/connections", nil)
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil || len(list) != 1 {
		t.Fatalf("connections: %d %s", r.Status, r.Body)
	}
	id := list[0]["id"].(string)
	body := map[string]any{"client_id": client, "email": "a@example.com", "password": "correct horse", "connection": dbConn}
	s.MustAPI(200, "PATCH", "/connections/"+id, map[string]any{"options": map[string]any{"disable_signup": true}})
	m := authAPIError(t, postSignup(s, body), 400, "BadRequestError", "operation_not_supported")
	if m["description"] != "public signup is disabled" {
		t.Fatalf("description %v", m["description"])
	}
	s.MustAPI(200, "PATCH", "/connections/"+id, map[string]any{"options": map[string]any{"disable_signup": false},
		"enabled_clients": []string{servertest.AdminID}})
	authAPIError(t, postSignup(s, body), 400, "BadRequestError", "bad.connection")
	s.MustAPI(200, "PATCH", "/connections/"+id, map[string]any{"enabled_clients": []string{client}})
	if r := postSignup(s, body); r.Status != 200 {
		t.Fatalf("signup reopened: %d %s", r.Status, r.Body)
	}
}
