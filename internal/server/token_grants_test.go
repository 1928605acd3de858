package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// The token endpoint in process (internal/server/servertest): both grants,
// every row of the error catalogue (compat-spec §2.3), the hook path on the
// in-process engine, /userinfo and the dashboard's sessions, with the clock
// stepped instead of slept. internal/e2e keeps what needs the real binary.

const (
	usersAPI    = "https://users.example/"
	dbConn      = "Username-Password-Authentication"
	realmGrant  = "http://auth0.com/oauth/grant-type/password-realm"
	annPassword = "ann-s3cret-pass"
)

// tenant is a server with one API and applications for both grants.
type tenant struct {
	*servertest.Server
	ccID, ccSecret   string // client_credentials, granted "read" on https://a.example/
	webID, webSecret string // authorization_code only
	pwID, pwSecret   string // confidential, password and password-realm
	publicID         string // public (no secret), password only
	annID            string
}

func newTenant(t *testing.T, configure ...func(*config.Config)) *tenant {
	t.Helper()
	s := servertest.New(t, configure...)
	tn := &tenant{Server: s}
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": "https://a.example/", "name": "A",
		"scopes": []map[string]string{{"value": "read"}, {"value": "write"}}})
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": "https://b.example/", "name": "B",
		"scopes": []map[string]string{{"value": "read"}}})
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": usersAPI, "name": "Users",
		"scopes": []map[string]string{{"value": "read:data"}, {"value": "write:data"}}})
	c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "m2m", "app_type": "non_interactive",
		"grant_types": []string{"client_credentials"}, "client_metadata": map[string]string{"plan": "gold"}})
	tn.ccID, tn.ccSecret = c["client_id"].(string), c["client_secret"].(string)
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": tn.ccID, "audience": "https://a.example/", "scope": []string{"read"}})
	c = s.MustAPI(201, "POST", "clients", map[string]any{"name": "web", "app_type": "regular_web", "grant_types": []string{"authorization_code"}})
	tn.webID, tn.webSecret = c["client_id"].(string), c["client_secret"].(string)
	c = s.MustAPI(201, "POST", "clients", map[string]any{"name": "backend", "app_type": "regular_web", "grant_types": []string{"password", realmGrant}})
	tn.pwID, tn.pwSecret = c["client_id"].(string), c["client_secret"].(string)
	c = s.MustAPI(201, "POST", "clients", map[string]any{"name": "mobile", "app_type": "native",
		"grant_types": []string{"password"}, "token_endpoint_auth_method": "none"})
	tn.publicID = c["client_id"].(string)
	u := s.MustAPI(201, "POST", "users", map[string]any{"connection": dbConn, "email": "Ann@Example.com", "username": "ann",
		"password": annPassword, "name": "Ann Example", "email_verified": true, "app_metadata": map[string]any{"plan": "full"}})
	tn.annID = u["user_id"].(string)
	s.MustAPI(201, "POST", "users", map[string]any{"connection": dbConn, "email": "blocked@example.com", "password": "blocked-pass", "blocked": true})
	return tn
}

// form is base with kv applied: a value sets, "" deletes.
func form(base url.Values, kv ...string) url.Values {
	v := url.Values{}
	for k, vs := range base {
		v[k] = append([]string(nil), vs...)
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

func (tn *tenant) cc(kv ...string) url.Values {
	return form(url.Values{"grant_type": {"client_credentials"}, "client_id": {tn.ccID}, "client_secret": {tn.ccSecret}, "audience": {"https://a.example/"}}, kv...)
}

func (tn *tenant) pw(kv ...string) url.Values {
	return form(url.Values{"grant_type": {"password"}, "client_id": {tn.pwID}, "client_secret": {tn.pwSecret},
		"username": {"ann"}, "password": {annPassword}, "audience": {usersAPI}}, kv...)
}

// wantError checks an OAuth error answer; desc "" accepts any description.
func wantError(t *testing.T, r servertest.Response, status int, code, desc string) {
	t.Helper()
	body := r.JSON(t)
	if r.Status != status || body["error"] != code || (desc != "" && body["error_description"] != desc) {
		t.Fatalf("got %d %s\nwant %d %s %q", r.Status, r.Body, status, code, desc)
	}
	if len(body) != 2 {
		t.Fatalf("error body has extra members: %s", r.Body)
	}
}

// TestTokenErrorCatalogue: every row of compat-spec §2.3, for both grants.
func TestTokenErrorCatalogue(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	cases := []struct {
		name   string
		form   url.Values
		status int
		code   string
		desc   string
	}{
		{"unknown grant type", tn.cc("grant_type", "urn:x"), 400, "unsupported_grant_type", "Grant type 'urn:x' not allowed."},
		{"missing grant type", tn.cc("grant_type", ""), 400, "invalid_request", "Missing required parameter: grant_type"},
		{"missing client id", tn.cc("client_id", ""), 400, "invalid_request", "Missing required parameter: client_id"},
		{"unknown client", tn.cc("client_id", "nope"), 401, "access_denied", "Unauthorized"},
		{"wrong secret", tn.cc("client_secret", "wrong"), 401, "access_denied", "Unauthorized"},
		{"missing secret", tn.cc("client_secret", ""), 401, "access_denied", "Unauthorized"},
		{"grant type not enabled", tn.cc("client_id", tn.webID, "client_secret", tn.webSecret), 403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client."},
		{"public client, client credentials", tn.cc("client_id", tn.publicID, "client_secret", ""), 401, "access_denied", "Unauthorized"},
		{"missing audience", tn.cc("audience", ""), 400, "invalid_request", "Missing required parameter: audience"},
		{"unknown audience", tn.cc("audience", "https://nope/"), 403, "access_denied", "Service not enabled within domain: https://nope/"},
		{"no client grant", tn.cc("audience", "https://b.example/"), 403, "access_denied", `Client is not authorized to access "https://b.example/". You need to create a "client-grant" associated to this API.`},

		{"password: missing username", tn.pw("username", ""), 400, "invalid_request", "Missing required parameter: username"},
		{"password: missing password", tn.pw("password", ""), 400, "invalid_request", "Missing required parameter: password"},
		{"password: grant type not enabled", tn.pw("client_id", tn.ccID, "client_secret", tn.ccSecret), 403, "unauthorized_client", "Grant type 'password' not allowed for the client."},
		{"password: wrong secret", tn.pw("client_secret", "wrong"), 401, "access_denied", "Unauthorized"},
		{"password-realm without realm", tn.pw("grant_type", realmGrant), 400, "invalid_request", "Missing required parameter: realm"},
		{"password-realm, unknown realm", tn.pw("grant_type", realmGrant, "realm", "google-oauth2"), 400, "invalid_request", "Unknown realm 'google-oauth2'"},
		{"password-realm not enabled on the public client", tn.pw("client_id", tn.publicID, "client_secret", "", "grant_type", realmGrant, "realm", dbConn), 403, "unauthorized_client", "Grant type '" + realmGrant + "' not allowed for the client."},
		{"password: unknown audience", tn.pw("audience", "https://nope.example/"), 403, "access_denied", "Service not enabled within domain: https://nope.example/"},
		{"password: Management API audience", tn.pw("audience", tn.URL+"api/v2/"), 403, "access_denied", ""},
		{"wrong password", tn.pw("password", "not the password"), 403, "invalid_grant", "Wrong email or password."},
		{"unknown user", tn.pw("username", "nobody@example.com"), 403, "invalid_grant", "Wrong email or password."},
		{"blocked user", tn.pw("username", "blocked@example.com", "password", "blocked-pass"), 401, "unauthorized", "user is blocked"},
		{"blocked user, wrong password", tn.pw("username", "blocked@example.com", "password", "not-it"), 403, "invalid_grant", "Wrong email or password."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantError(t, tn.Token(c.form), c.status, c.code, c.desc) })
	}
	t.Run("malformed bodies", func(t *testing.T) {
		for name, b := range map[string]struct{ ct, body string }{
			"JSON array":      {"application/json", `[1,2]`},
			"truncated JSON":  {"application/json", `{"grant_type":`},
			"nested JSON":     {"application/json", `{"grant_type":{"a":1}}`},
			"bad form escape": {"application/x-www-form-urlencoded", "grant_type=%zz"},
			"huge body":       {"application/x-www-form-urlencoded", "grant_type=client_credentials&x=" + strings.Repeat("a", 100<<10)},
		} {
			r := tn.Do("POST", "oauth/token", b.ct, strings.NewReader(b.body), nil)
			if r.Status >= 500 || r.JSON(t)["error"] == nil {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
	})
	t.Run("basic auth challenge", func(t *testing.T) {
		req, _ := http.NewRequest("POST", tn.URL+"oauth/token", strings.NewReader(tn.cc("client_id", "", "client_secret", "").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(tn.ccID, "wrong")
		resp, err := tn.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
}

// TestClientCredentialsGrant: the token's claims follow the injected clock,
// the default audience, and the credentials-exchange hook on the in-process
// engine (claims, scope replacement, error mapping).
func TestClientCredentialsGrant(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	now := tn.Clock.Now()
	r := tn.Token(tn.cc())
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	body := r.JSON(t)
	c := servertest.Claims(t, body["access_token"].(string))
	if c["aud"] != "https://a.example/" || c["sub"] != tn.ccID+"@clients" || c["scope"] != "read" || c["iss"] != tn.URL ||
		c["iat"] != float64(now.Unix()) || c["exp"] != float64(now.Add(24*time.Hour).Unix()) || body["token_type"] != "Bearer" {
		t.Fatalf("token %s, claims %v", r.Body, c)
	}
	if r := tn.Token(tn.cc("scope", "read write")); r.Status != 200 || r.JSON(t)["scope"] != "read" {
		t.Fatalf("requested scopes beyond the grant: %d %s", r.Status, r.Body)
	}

	t.Run("default audience", func(t *testing.T) {
		tn.MustAPI(200, "PATCH", "tenants/settings", map[string]any{"default_audience": "https://a.example/"})
		r := tn.Token(tn.cc("audience", ""))
		if r.Status != 200 || servertest.Claims(t, r.JSON(t)["access_token"].(string))["aud"] != "https://a.example/" {
			t.Fatalf("default audience: %d %s", r.Status, r.Body)
		}
	})

	t.Run("hook", func(t *testing.T) {
		hook := tn.MustAPI(201, "POST", "hooks", map[string]any{"name": "plan", "triggerId": "credentials-exchange", "enabled": true,
			"script": `module.exports = function (client, scope, audience, context, cb) {
  if (client.metadata.plan !== 'gold') return cb(new InvalidScopeError('gold only'));
  cb(null, {scope: scope.concat(['extra']), 'https://example.com/plan': client.metadata.plan, plain: 'dropped'});
};`})
		r := tn.Token(tn.cc())
		if r.Status != 200 {
			t.Fatalf("token with the hook: %d %s", r.Status, r.Body)
		}
		c := servertest.Claims(t, r.JSON(t)["access_token"].(string))
		if c["scope"] != "read extra" || c["https://example.com/plan"] != "gold" || c["plain"] != nil {
			t.Fatalf("claims with the hook: %v", c)
		}
		tn.MustAPI(200, "PATCH", "clients/"+tn.ccID, map[string]any{"client_metadata": map[string]string{"plan": "free"}})
		wantError(t, tn.Token(tn.cc()), 400, "invalid_scope", "gold only")
		tn.MustAPI(200, "PATCH", "hooks/"+hook["id"].(string), map[string]any{"script": `module.exports = function () { throw new Error('boom'); };`})
		wantError(t, tn.Token(tn.cc()), 500, "server_error", "")
	})
}

// TestPasswordGrant: both password grants, the ID token with openid, and
// /userinfo with the token the grant gave, until the clock passes its
// expiry.
func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	for _, grant := range []url.Values{tn.pw(), tn.pw("grant_type", realmGrant, "realm", dbConn), tn.pw("client_id", tn.publicID, "client_secret", "")} {
		r := tn.Token(grant)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", grant.Get("grant_type"), r.Status, r.Body)
		}
		c := servertest.Claims(t, r.JSON(t)["access_token"].(string))
		if c["sub"] != tn.annID || c["aud"] != usersAPI || c["scope"] != "read:data write:data" {
			t.Fatalf("claims %v", c)
		}
	}
	r := tn.Token(tn.pw("scope", "openid read:data"))
	body := r.JSON(t)
	if r.Status != 200 || body["id_token"] == nil {
		t.Fatalf("openid: %d %s", r.Status, r.Body)
	}
	id := servertest.Claims(t, body["id_token"].(string))
	if id["sub"] != tn.annID || id["aud"] != tn.pwID || id["email"] != "ann@example.com" {
		t.Fatalf("ID token %v", id)
	}
	access := servertest.Claims(t, body["access_token"].(string))
	if aud, _ := access["aud"].([]any); len(aud) != 2 || aud[1] != tn.URL+"userinfo" {
		t.Fatalf("access token aud %v", access["aud"])
	}

	t.Run("userinfo", func(t *testing.T) {
		bearer := http.Header{"Authorization": {"Bearer " + body["access_token"].(string)}}
		r := tn.Do("GET", "userinfo", "", nil, bearer)
		if r.Status != 200 || r.JSON(t)["sub"] != tn.annID || r.JSON(t)["email"] != "ann@example.com" {
			t.Fatalf("userinfo: %d %s", r.Status, r.Body)
		}
		if r := tn.Do("GET", "userinfo", "", nil, nil); r.Status != 401 {
			t.Fatalf("userinfo without a token: %d %s", r.Status, r.Body)
		}
		cc := tn.Token(tn.cc()).JSON(t)["access_token"].(string)
		if r := tn.Do("GET", "userinfo", "", nil, http.Header{"Authorization": {"Bearer " + cc}}); r.Status != 401 {
			t.Fatalf("userinfo with a token for another audience: %d %s", r.Status, r.Body)
		}
		tn.Clock.Advance(24*time.Hour + time.Minute)
		if r := tn.Do("GET", "userinfo", "", nil, bearer); r.Status != 401 {
			t.Fatalf("userinfo with an expired token: %d %s", r.Status, r.Body)
		}
	})
}

// TestPasswordGrantAudience: without an audience the password grants take
// the tenant's default_audience, and with none set answer as Auth0 does: a
// token good for /userinfo only, with or without openid, and no ID token
// unless openid was asked for.
func TestPasswordGrantAudience(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	for _, grant := range []url.Values{tn.pw("audience", ""), tn.pw("grant_type", realmGrant, "realm", dbConn, "audience", "")} {
		r := tn.Token(grant)
		body := r.JSON(t)
		if r.Status != 200 || body["id_token"] != nil || body["scope"] != nil || body["expires_in"] != float64(86400) {
			t.Fatalf("%s without an audience: %d %s", grant.Get("grant_type"), r.Status, r.Body)
		}
		c := servertest.Claims(t, body["access_token"].(string))
		if c["aud"] != tn.URL+"userinfo" || c["sub"] != tn.annID {
			t.Fatalf("%s without an audience: claims %v", grant.Get("grant_type"), c)
		}
		u := tn.Do("GET", "userinfo", "", nil, http.Header{"Authorization": {"Bearer " + body["access_token"].(string)}})
		if u.Status != 200 || u.JSON(t)["sub"] != tn.annID || u.JSON(t)["email"] != nil {
			t.Fatalf("userinfo with the token: %d %s", u.Status, u.Body)
		}
	}
	if r := tn.Token(tn.pw("audience", "", "scope", "read:data")); r.Status != 200 || r.JSON(t)["scope"] != nil {
		t.Fatalf("API scopes without an API are not granted: %d %s", r.Status, r.Body)
	}

	tn.MustAPI(200, "PATCH", "tenants/settings", map[string]any{"default_audience": usersAPI})
	for _, grant := range []url.Values{tn.pw("audience", ""), tn.pw("grant_type", realmGrant, "realm", dbConn, "audience", "")} {
		r := tn.Token(grant)
		if r.Status != 200 {
			t.Fatalf("%s with default_audience: %d %s", grant.Get("grant_type"), r.Status, r.Body)
		}
		c := servertest.Claims(t, r.JSON(t)["access_token"].(string))
		if c["aud"] != usersAPI || c["scope"] != "read:data write:data" {
			t.Fatalf("%s with default_audience: claims %v", grant.Get("grant_type"), c)
		}
	}
	r := tn.Token(tn.pw("audience", "", "scope", "openid read:data"))
	c := servertest.Claims(t, r.JSON(t)["access_token"].(string))
	if aud, _ := c["aud"].([]any); r.Status != 200 || len(aud) != 2 || aud[0] != usersAPI || aud[1] != tn.URL+"userinfo" || c["scope"] != "openid read:data" {
		t.Fatalf("openid with default_audience: %d %v", r.Status, c)
	}
	// An audience sent still wins over the default.
	if c := servertest.Claims(t, tn.Token(tn.pw("audience", "https://b.example/")).JSON(t)["access_token"].(string)); c["aud"] != "https://b.example/" {
		t.Fatalf("audience over the default: %v", c)
	}
}

// TestBruteForceWindow: a block lifts once the window has passed since the
// last failure, on the server's clock.
func TestBruteForceWindow(t *testing.T) {
	t.Parallel()
	tn := newTenant(t, func(c *config.Config) { c.BruteForceThreshold, c.BruteForceWindow = 3, time.Hour })
	for range 3 {
		wantError(t, tn.Token(tn.pw("password", "wrong password")), 403, "invalid_grant", "Wrong email or password.")
	}
	wantError(t, tn.Token(tn.pw()), 429, "too_many_attempts", "Your account has been blocked after multiple consecutive login attempts.")
	tn.Clock.Advance(time.Hour - time.Second)
	wantError(t, tn.Token(tn.pw()), 429, "too_many_attempts", "")
	tn.Clock.Advance(2 * time.Second)
	if r := tn.Token(tn.pw()); r.Status != 200 {
		t.Fatalf("after the window: %d %s", r.Status, r.Body)
	}
}
