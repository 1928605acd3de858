package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

func signupHook(t *testing.T, s *servertest.Server, script string) map[string]any {
	t.Helper()
	h := s.MustAPI(201, "POST", "/hooks", map[string]any{"name": "pre-" + strings.ToLower(t.Name()[len(t.Name())-4:]),
		"triggerId": "pre-user-registration", "script": script, "enabled": true})
	return h
}

func TestSignupPreUserRegistrationAddsMetadata(t *testing.T) {
	t.Parallel()
	s, client := signupApp(t)
	signupHook(t, s, `module.exports = function (user, context, cb) {
  if (context.connection.name !== 'Username-Password-Authentication' || user.password !== 'correct horse') return cb(new Error('bad input'));
  cb(null, {user: {app_metadata: {plan: 'gold', lang: context.requestLanguage}, user_metadata: {from: user.user_metadata.hobby}}, ignored: 1});
};`)
	r := s.Do("POST", "dbconnections/signup", "application/json", strings.NewReader(`{"client_id":"`+client+
		`","email":"ann@example.com","password":"correct horse","connection":"`+dbConn+`","user_metadata":{"hobby":"surfing"}}`),
		map[string][]string{"Accept-Language": {"fr-CA"}})
	if r.Status != 200 {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["_id"].(string)
	u := s.MustAPI(200, "GET", "/users/"+url.PathEscape("auth0|"+id), nil)
	app, _ := u["app_metadata"].(map[string]any)
	md, _ := u["user_metadata"].(map[string]any)
	if app["plan"] != "gold" || app["lang"] != "fr-CA" || md["from"] != "surfing" || md["hobby"] != "surfing" {
		t.Fatalf("stored user %v", u)
	}
}

func TestSignupPreUserRegistrationRefuses(t *testing.T) {
	t.Parallel()
	s, client := signupApp(t, func(c *config.Config) { c.HookTimeout = time.Second })
	h := signupHook(t, s, `module.exports = function (user, context, cb) {
  if (user.email.endsWith('@blocked.example')) return cb(new PreUserRegistrationError('denied ' + user.email, 'Sign ups from this domain are closed'));
  if (user.email.startsWith('plain')) return cb(new Error('plain failure'));
  if (user.email.startsWith('dollar')) return cb(null, {user: {app_metadata: {a: {'$set': 1}}}});
  if (user.email.startsWith('dot')) return cb(null, {user: {user_metadata: {'a.b': 1}}});
  if (user.email.startsWith('loop')) { for (;;) {} }
  if (user.email.startsWith('same')) return cb(new PreUserRegistrationError('only one text'));
  cb();
};`)
	for _, c := range []struct{ email, description string }{
		{"x@blocked.example", "Sign ups from this domain are closed"},
		{"same@example.com", "only one text"},
		{"plain@example.com", "plain failure"},
		{"dollar@example.com", "The pre-user-registration hook's response: app_metadata has an invalid property name ($set): names may not start with '$' nor contain '.'"},
		{"dot@example.com", "The pre-user-registration hook's response: user_metadata has an invalid property name (a.b): names may not start with '$' nor contain '.'"},
		{"loop@example.com", "Request to Webtask exceeded allowed execution time"},
	} {
		m := authAPIError(t, postSignup(s, map[string]any{"client_id": client, "email": c.email, "password": "correct horse", "connection": dbConn}),
			400, "BadRequestError", "extensibility_error")
		if m["description"] != c.description {
			t.Errorf("%s: description %q, want %q", c.email, m["description"], c.description)
		}
		if u := s.API("GET", "/users?q="+url.QueryEscape(`email:"`+c.email+`"`), nil); !strings.Contains(string(u.Body), "[]") {
			t.Errorf("%s: stored although refused: %s", c.email, u.Body)
		}
	}
	// cb() changes nothing and the signup goes through.
	if r := postSignup(s, map[string]any{"client_id": client, "email": "ok@example.com", "password": "correct horse", "connection": dbConn}); r.Status != 200 {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	// The internal message is in the tenant log.
	waitLog(t, s, "fs", "denied x@blocked.example")
	// The same hook on the Node.js runtime (it requires a Node built-in),
	// which -short (make test-unit) leaves to make test.
	if testing.Short() {
		return
	}
	if p := s.MustAPI(200, "PATCH", "/hooks/"+h["id"].(string), map[string]any{"script": `require('net');
module.exports = function (user, context, cb) {
  cb(new PreUserRegistrationError('denied ' + user.email, 'Closed (node)'));
};`}); p["runtime"] != "node" {
		t.Fatalf("runtime %v, want node", p["runtime"])
	}
	m := authAPIError(t, postSignup(s, map[string]any{"client_id": client, "email": "n@example.com", "password": "correct horse", "connection": dbConn}),
		400, "BadRequestError", "extensibility_error")
	if m["description"] != "Closed (node)" {
		t.Fatalf("node runtime: %v", m)
	}
}
