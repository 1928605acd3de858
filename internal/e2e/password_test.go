package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
)

// The password grant end to end (issue 4, compat-spec §2 password rows and
// §3 password-exchange). Servers run with --bcrypt-cost 4 so a test's
// hundred logins stay fast; TestFailedLoginCostDoesNotRevealUsers uses the
// default cost because timing is what it checks.

const (
	usersAPI    = "https://users.example/"
	dbConn      = "Username-Password-Authentication"
	realmGrant  = "http://auth0.com/oauth/grant-type/password-realm"
	annPassword = "ann-s3cret-pass"
)

var fastBcrypt = []string{"--bcrypt-cost", "4"}

// passwordApps creates the users API (read:data, write:data) and two
// applications allowed the password grants: a confidential one and a
// public one (token_endpoint_auth_method none).
func (in *instance) passwordApps() (confID, confSecret, publicID string) {
	in.t.Helper()
	if r := in.api("POST", "resource-servers", map[string]any{"identifier": usersAPI, "name": "Users API",
		"scopes": []map[string]string{{"value": "read:data"}, {"value": "write:data"}}}); r.status != 201 {
		in.t.Fatalf("create API: %d %s", r.status, r.body)
	}
	r := in.api("POST", "clients", map[string]any{"name": "backend", "app_type": "regular_web",
		"grant_types": []string{"password", realmGrant}})
	if r.status != 201 {
		in.t.Fatalf("create confidential client: %d %s", r.status, r.body)
	}
	c := r.json(in.t)
	r = in.api("POST", "clients", map[string]any{"name": "mobile", "app_type": "native",
		"grant_types": []string{"password"}, "token_endpoint_auth_method": "none"})
	if r.status != 201 {
		in.t.Fatalf("create public client: %d %s", r.status, r.body)
	}
	return c["client_id"].(string), c["client_secret"].(string), r.json(in.t)["client_id"].(string)
}

// createUser creates a user and returns its JSON.
func (in *instance) createUser(body map[string]any) map[string]any {
	in.t.Helper()
	if _, ok := body["connection"]; !ok {
		body["connection"] = dbConn
	}
	r := in.api("POST", "users", body)
	if r.status != 201 {
		in.t.Fatalf("create user: %d %s", r.status, r.body)
	}
	return r.json(in.t)
}

func (in *instance) ann() map[string]any {
	return in.createUser(map[string]any{"email": "Ann@Example.com", "username": "ann", "password": annPassword,
		"name": "Ann Example", "nickname": "annie", "picture": "https://example.com/ann.png",
		"email_verified": true, "user_metadata": map[string]any{"hobby": "surfing"}, "app_metadata": map[string]any{"plan": "full"}})
}

// login posts a password grant; kv are extra or overriding parameters
// ("" deletes).
func (in *instance) login(clientID, secret, username, password string, kv ...string) response {
	v := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "username": {username}, "password": {password}, "audience": {usersAPI}}
	if secret != "" {
		v.Set("client_secret", secret)
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return in.tokenForm(v)
}

func (in *instance) loginFrom(clientID, secret, username, password, forwardedFor string) response {
	v := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "username": {username}, "password": {password}, "audience": {usersAPI}}
	if secret != "" {
		v.Set("client_secret", secret)
	}
	return in.do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()),
		http.Header{"Auth0-Forwarded-For": {forwardedFor}})
}

func pwStatus(t *testing.T, r response, status int, what string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	if r.body[0] == '[' {
		return nil
	}
	return r.json(t)
}

func pwOAuthError(t *testing.T, r response, status int, code, description, what string) {
	t.Helper()
	body := pwStatus(t, r, status, what)
	if body["error"] != code || (description != "" && body["error_description"] != description) {
		t.Fatalf("%s: %s, want %s %q", what, r.body, code, description)
	}
}

func TestUsersAPI(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, _ := in.passwordApps()
	var bodies [][]byte // every answer, checked for the password at the end
	call := func(method, path string, body any) response {
		r := in.api(method, path, body)
		bodies = append(bodies, r.body)
		return r
	}

	r := call("POST", "users", map[string]any{"connection": dbConn, "email": "Ann@Example.com", "username": "ann", "password": annPassword,
		"user_metadata": map[string]any{"hobby": "surfing", "address": map[string]any{"city": "Oslo", "zip": "0150"}, "drop": 1}})
	ann := pwStatus(t, r, 201, "create")
	id, _ := ann["user_id"].(string)
	if !strings.HasPrefix(id, "auth0|") || len(id) != len("auth0|")+24 {
		t.Fatalf("user_id %q", id)
	}
	ids := ann["identities"].([]any)[0].(map[string]any)
	if ann["email"] != "ann@example.com" || ann["name"] != "ann@example.com" || ann["nickname"] != "ann" ||
		ann["logins_count"] != float64(0) || ann["blocked"] != false || ann["email_verified"] != false ||
		ids["connection"] != dbConn || ids["provider"] != "auth0" || ids["isSocial"] != false || ids["user_id"] != strings.TrimPrefix(id, "auth0|") ||
		ann["created_at"] == nil || ann["updated_at"] == nil {
		t.Fatalf("created user %s", r.body)
	}
	for _, k := range []string{"password", "password_hash", "last_login"} {
		if _, ok := ann[k]; ok {
			t.Fatalf("created user has %q: %s", k, r.body)
		}
	}

	t.Run("validation and conflicts", func(t *testing.T) {
		hash, _ := bcrypt.GenerateFromPassword([]byte("imported-pass"), 4)
		cases := []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"no connection", map[string]any{"email": "x@example.com", "password": "long enough"}, 400, "invalid_body"},
			{"unknown connection", map[string]any{"connection": "google-oauth2", "email": "x@example.com", "password": "long enough"}, 400, "inexistent_connection"},
			{"no email", map[string]any{"connection": dbConn, "password": "long enough"}, 400, "invalid_body"},
			{"bad email", map[string]any{"connection": dbConn, "email": "not an email", "password": "long enough"}, 400, "invalid_body"},
			{"no password", map[string]any{"connection": dbConn, "email": "x@example.com"}, 400, "invalid_body"},
			{"weak password", map[string]any{"connection": dbConn, "email": "x@example.com", "password": "short"}, 400, "password_strength_error"},
			{"password and hash", map[string]any{"connection": dbConn, "email": "x@example.com", "password": "long enough", "password_hash": string(hash)}, 400, "invalid_body"},
			{"hash that is not bcrypt", map[string]any{"connection": dbConn, "email": "x@example.com", "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"}, 400, "invalid_body"},
			{"username with @", map[string]any{"connection": dbConn, "email": "x@example.com", "password": "long enough", "username": "a@b"}, 400, "invalid_body"},
			{"unknown property", map[string]any{"connection": dbConn, "email": "x@example.com", "password": "long enough", "role": "admin"}, 400, "invalid_body"},
			{"email taken, other case", map[string]any{"connection": dbConn, "email": "ANN@example.com", "password": "long enough"}, 409, "auth0_idp_error"},
			{"username taken, other case", map[string]any{"connection": dbConn, "email": "x@example.com", "password": "long enough", "username": "ANN"}, 409, "auth0_idp_error"},
		}
		for _, c := range cases {
			r := call("POST", "users", c.body)
			body := pwStatus(t, r, c.status, c.name)
			if body["errorCode"] != c.code {
				t.Errorf("%s: %s, want errorCode %s", c.name, r.body, c.code)
			}
		}
		// An imported bcrypt hash logs in with its password.
		imp := pwStatus(t, call("POST", "users", map[string]any{"connection": dbConn, "email": "imported@example.com",
			"password_hash": string(hash), "user_id": "legacy-42"}), 201, "import")
		if imp["user_id"] != "auth0|legacy-42" {
			t.Fatalf("imported user_id %v", imp["user_id"])
		}
		pwStatus(t, in.login(confID, confSecret, "imported@example.com", "imported-pass"), 200, "login with an imported hash")
	})

	t.Run("get, list, search, users-by-email", func(t *testing.T) {
		in.createUser(map[string]any{"email": "bob@corp.example", "password": "bob-password", "name": "Bob Builder"})
		got := pwStatus(t, call("GET", "users/"+url.PathEscape(id), nil), 200, "get")
		if got["user_id"] != id || got["email"] != "ann@example.com" {
			t.Fatalf("get %v", got)
		}
		r := call("GET", "users/auth0%7Cnobody", nil)
		if b := pwStatus(t, r, 404, "get unknown"); b["errorCode"] != "inexistent_user" {
			t.Fatalf("unknown user: %s", r.body)
		}
		emails := func(r response) []string {
			var out []string
			for _, u := range r.list(t) {
				out = append(out, u["email"].(string))
			}
			sort.Strings(out)
			return out
		}
		for q, want := range map[string][]string{
			"":                           {"ann@example.com", "bob@corp.example", "imported@example.com"},
			"builder":                    {"bob@corp.example"},
			"EXAMPLE.COM":                {"ann@example.com", "imported@example.com"},
			`email:"ANN@example.com"`:    {"ann@example.com"},
			"email:bob@corp.example":     {"bob@corp.example"},
			`email:"nobody@example.com"`: nil,
		} {
			r := call("GET", "users?search_engine=v3&q="+url.QueryEscape(q), nil)
			pwStatus(t, r, 200, "list q="+q)
			if got := emails(r); !slices.Equal(got, want) {
				t.Errorf("q=%q: %v, want %v", q, got, want)
			}
		}
		page := pwStatus(t, call("GET", "users?per_page=2&page=1&include_totals=true", nil), 200, "paged")
		if page["total"] != float64(3) || page["start"] != float64(2) || len(page["users"].([]any)) != 1 {
			t.Fatalf("page %v", page)
		}
		r = call("GET", "users-by-email?email="+url.QueryEscape("ANN@EXAMPLE.COM"), nil)
		pwStatus(t, r, 200, "users-by-email")
		if l := r.list(t); len(l) != 1 || l[0]["user_id"] != id {
			t.Fatalf("users-by-email: %s", r.body)
		}
		pwStatus(t, call("GET", "users-by-email", nil), 400, "users-by-email without email")
	})

	t.Run("patch merges metadata one level deep", func(t *testing.T) {
		r := call("PATCH", "users/"+url.PathEscape(id), map[string]any{
			"user_metadata": map[string]any{"address": map[string]any{"city": "Bergen"}, "drop": nil, "new": true},
			"app_metadata":  map[string]any{"plan": "pro"},
			"name":          "Ann Example", "blocked": true,
		})
		u := pwStatus(t, r, 200, "patch")
		um := u["user_metadata"].(map[string]any)
		wantUM := map[string]any{"hobby": "surfing", "address": map[string]any{"city": "Bergen"}, "new": true}
		if !pwJSONEqual(um, wantUM) || !pwJSONEqual(u["app_metadata"], map[string]any{"plan": "pro"}) || u["name"] != "Ann Example" || u["blocked"] != true {
			t.Fatalf("after patch: %s", r.body)
		}
		u = pwStatus(t, call("PATCH", "users/"+url.PathEscape(id), map[string]any{"app_metadata": map[string]any{}, "blocked": false}), 200, "clear")
		if !pwJSONEqual(u["app_metadata"], map[string]any{}) || !pwJSONEqual(u["user_metadata"], wantUM) {
			t.Fatalf("{} clears only its own metadata: %v", u)
		}
		pwStatus(t, call("PATCH", "users/"+url.PathEscape(id), map[string]any{"user_metadata": "text"}), 400, "metadata must be an object")
		pwStatus(t, call("PATCH", "users/"+url.PathEscape(id), map[string]any{"password_hash": "x"}), 400, "no hash on patch")
		pwStatus(t, call("PATCH", "users/auth0%7Cnobody", map[string]any{"name": "x"}), 404, "patch unknown")
	})

	t.Run("update:users_app_metadata may change app_metadata only", func(t *testing.T) {
		r := in.api("POST", "clients", map[string]any{"name": "metadata writer", "app_type": "non_interactive"})
		c := pwStatus(t, r, 201, "client")
		pwStatus(t, in.api("POST", "client-grants", map[string]any{"client_id": c["client_id"], "audience": in.base + "api/v2/",
			"scope": []string{"update:users_app_metadata"}}), 201, "grant")
		tr := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {c["client_id"].(string)},
			"client_secret": {c["client_secret"].(string)}, "audience": {in.base + "api/v2/"}})
		tok := pwStatus(t, tr, 200, "token")["access_token"].(string)
		pwStatus(t, in.apiWith(tok, "PATCH", "users/"+url.PathEscape(id), map[string]any{"app_metadata": map[string]any{"tier": 2}}), 200, "app_metadata")
		pwStatus(t, in.apiWith(tok, "PATCH", "users/"+url.PathEscape(id), map[string]any{"name": "Mallory"}), 403, "name")
		pwStatus(t, in.apiWith(tok, "PATCH", "users/"+url.PathEscape(id), map[string]any{"password": "taken-over-1"}), 403, "password")
	})

	t.Run("patch email and password", func(t *testing.T) {
		pwStatus(t, in.login(confID, confSecret, "ann@example.com", annPassword), 200, "login before")
		u := pwStatus(t, call("PATCH", "users/"+url.PathEscape(id), map[string]any{"email_verified": true}), 200, "verify")
		if u["email_verified"] != true {
			t.Fatal("email_verified not set")
		}
		u = pwStatus(t, call("PATCH", "users/"+url.PathEscape(id), map[string]any{"email": "Ann2@Example.com", "password": "a-new-password", "connection": dbConn}), 200, "patch")
		if u["email"] != "ann2@example.com" || u["email_verified"] != false {
			t.Fatalf("a new email is unverified: %v", u)
		}
		pwOAuthError(t, in.login(confID, confSecret, "ann@example.com", annPassword), 403, "invalid_grant", "", "old email")
		pwOAuthError(t, in.login(confID, confSecret, "ann2@example.com", annPassword), 403, "invalid_grant", "", "old password")
		pwStatus(t, in.login(confID, confSecret, "ann2@example.com", "a-new-password"), 200, "new email and password")
		pwStatus(t, call("PATCH", "users/"+url.PathEscape(id), map[string]any{"password": "short"}), 400, "weak password on patch")
	})

	t.Run("delete", func(t *testing.T) {
		l := in.api("GET", "users-by-email?email=bob@corp.example", nil).list(t)
		bid := l[0]["user_id"].(string)
		if r := call("DELETE", "users/"+url.PathEscape(bid), nil); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		pwStatus(t, call("GET", "users/"+url.PathEscape(bid), nil), 404, "get deleted")
		pwStatus(t, call("DELETE", "users/"+url.PathEscape(bid), nil), 404, "delete again")
		pwOAuthError(t, in.login(confID, confSecret, "bob@corp.example", "bob-password"), 403, "invalid_grant", "Wrong email or password.", "deleted user")
	})

	// A bcrypt hash: $2a$, $2b$ or $2y$, the cost, then 53 characters.
	hashRE := regexp.MustCompile(`\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}`)
	for _, b := range append(bodies, []byte(in.logs())) {
		for _, secret := range []string{annPassword, "a-new-password", "bob-password"} {
			if strings.Contains(string(b), secret) {
				t.Fatalf("a response or the log carries %q: %s", secret, b)
			}
		}
		if h := hashRE.Find(b); h != nil {
			t.Fatalf("a response or the log carries the hash %s", h)
		}
	}
}

func pwJSONEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func pwBasic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

func TestPasswordGrant(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, publicID := in.passwordApps()
	ann := in.ann()
	annID := ann["user_id"].(string)

	t.Run("by email or username, any case, both grant types and body formats", func(t *testing.T) {
		for _, r := range []response{
			in.login(confID, confSecret, "ann@example.com", annPassword),
			in.login(confID, confSecret, "ANN@example.COM", annPassword),
			in.login(confID, confSecret, "Ann", annPassword),
			in.login(confID, confSecret, "ann", annPassword, "grant_type", realmGrant, "realm", dbConn),
			in.tokenJSON(map[string]any{"grant_type": "password", "client_id": confID, "client_secret": confSecret,
				"username": "ann", "password": annPassword, "audience": usersAPI}),
		} {
			body := pwStatus(t, r, 200, "login")
			c := claims(t, body["access_token"].(string))
			if c["sub"] != annID || c["gty"] != "password" || c["aud"] != usersAPI || c["azp"] != confID || c["iss"] != in.base ||
				c["scope"] != "read:data write:data" || body["scope"] != "read:data write:data" || body["expires_in"] != float64(86400) {
				t.Fatalf("token %v, response %s", c, r.body)
			}
			if _, ok := body["id_token"]; ok {
				t.Fatal("id_token without openid")
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatal("token response may be cached")
			}
		}
	})

	t.Run("public and confidential clients", func(t *testing.T) {
		pwStatus(t, in.login(publicID, "", "ann", annPassword), 200, "public client without a secret")
		pwOAuthError(t, in.login(confID, "", "ann", annPassword), 401, "access_denied", "Unauthorized", "confidential client without its secret")
		pwOAuthError(t, in.login(confID, "wrong-secret", "ann", annPassword), 401, "access_denied", "Unauthorized", "confidential client with a wrong secret")
		req := url.Values{"grant_type": {"password"}, "username": {"ann"}, "password": {annPassword}, "audience": {usersAPI}}
		r := in.do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(req.Encode()),
			http.Header{"Authorization": {"Basic " + pwBasic(confID, confSecret)}})
		pwStatus(t, r, 200, "client_secret_basic")
	})

	t.Run("scopes", func(t *testing.T) {
		cases := []struct{ requested, want string }{
			{"read:data", "read:data"},
			{"read:data undefined:scope", "read:data"},
			{"undefined:scope", ""},
			{"openid", "openid read:data write:data"},
			{"openid email write:data", "openid email write:data"},
		}
		for _, c := range cases {
			body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", c.requested), 200, c.requested)
			if got := claims(t, body["access_token"].(string))["scope"]; got != c.want {
				t.Errorf("scope %q: got %q, want %q", c.requested, got, c.want)
			}
		}
	})

	t.Run("openid: ID token, userinfo audience, /userinfo", func(t *testing.T) {
		ctx := oidc.ClientContext(context.Background(), in.client)
		provider, err := oidc.NewProvider(ctx, in.base)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		var disc struct {
			Userinfo string   `json:"userinfo_endpoint"`
			Grants   []string `json:"grant_types_supported"`
			Scopes   []string `json:"scopes_supported"`
			Claims   []string `json:"claims_supported"`
		}
		if err := provider.Claims(&disc); err != nil {
			t.Fatal(err)
		}
		if disc.Userinfo != in.base+"userinfo" || !slices.Contains(disc.Grants, "password") || !slices.Contains(disc.Grants, realmGrant) ||
			!slices.Contains(disc.Scopes, "openid") || !slices.Contains(disc.Claims, "email_verified") {
			t.Fatalf("discovery %+v", disc)
		}
		verifier := provider.Verifier(&oidc.Config{ClientID: confID})
		cases := []struct {
			scope          string
			profile, email bool
		}{
			{"openid", true, true}, // openid alone releases both
			{"openid profile", true, false},
			{"openid email", false, true},
			{"openid profile email", true, true},
		}
		for _, c := range cases {
			body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", c.scope), 200, c.scope)
			idt, err := verifier.Verify(ctx, body["id_token"].(string))
			if err != nil {
				t.Fatalf("%s: id_token: %v", c.scope, err)
			}
			if idt.Subject != annID || idt.Expiry.Sub(idt.IssuedAt) != 36000*time.Second {
				t.Fatalf("id token sub %q lifetime %v", idt.Subject, idt.Expiry.Sub(idt.IssuedAt))
			}
			var ic map[string]any
			_ = idt.Claims(&ic)
			pwCheckProfile(t, "id_token "+c.scope, ic, c.profile, c.email)
			access := body["access_token"].(string)
			if aud := claims(t, access)["aud"]; !pwJSONEqual(aud, []any{usersAPI, in.base + "userinfo"}) {
				t.Fatalf("access aud %v", aud)
			}
			// /userinfo through go-oidc, and by hand with POST.
			ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access}))
			if err != nil {
				t.Fatalf("%s: userinfo: %v", c.scope, err)
			}
			var uc map[string]any
			_ = ui.Claims(&uc)
			if uc["sub"] != annID {
				t.Fatalf("userinfo sub %v", uc["sub"])
			}
			pwCheckProfile(t, "userinfo "+c.scope, uc, c.profile, c.email)
			r := in.do("POST", "userinfo", "application/x-www-form-urlencoded", strings.NewReader("access_token="+access), nil)
			if got := pwStatus(t, r, 200, "POST /userinfo"); got["sub"] != annID {
				t.Fatalf("POST userinfo %s", r.body)
			}
		}
		// Without an audience, openid still gets a token good for /userinfo.
		body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "audience", "", "scope", "openid email"), 200, "no audience")
		if aud := claims(t, body["access_token"].(string))["aud"]; aud != in.base+"userinfo" {
			t.Fatalf("aud without audience: %v", aud)
		}
	})

	t.Run("/userinfo errors", func(t *testing.T) {
		r := in.do("GET", "userinfo", "", nil, nil)
		if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="userinfo"` {
			t.Fatalf("no token: %d %v", r.status, r.header)
		}
		noOpenID := pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "token without openid")["access_token"].(string)
		id, secret := in.m2m("https://m2m.example/", []string{"x"}, []string{"x"}, nil)
		m2m := pwStatus(t, in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
			"audience": {"https://m2m.example/"}}), 200, "m2m")["access_token"].(string)
		for name, tok := range map[string]string{"garbage": "not-a-token", "no userinfo audience": noOpenID, "client credentials": m2m} {
			r := in.do("GET", "userinfo", "", nil, http.Header{"Authorization": {"Bearer " + tok}})
			if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Fatalf("%s: %d %v %s", name, r.status, r.header, r.body)
			}
		}
	})

	t.Run("login statistics", func(t *testing.T) {
		u := pwStatus(t, in.api("GET", "users/"+url.PathEscape(annID), nil), 200, "get")
		if u["logins_count"].(float64) < 10 || u["last_ip"] != "127.0.0.1" || u["last_login"] == nil {
			t.Fatalf("statistics %v", u)
		}
	})

	t.Run("sepft and fepft events", func(t *testing.T) {
		pwStatus(t, in.login(confID, confSecret, "ann", "wrong password"), 403, "wrong password")
		var ok, fail map[string]any
		waitFor(t, 5*time.Second, "password events", func() bool {
			s := in.api("GET", "logs?q=type:sepft", nil).list(t)
			f := in.api("GET", "logs?q=type:fepft", nil).list(t)
			// Earlier requests logged events of both types too: wait until
			// the writer has flushed this subtest's (the newest of each).
			if len(s) > 0 && len(f) > 0 && s[0]["client_id"] == confID && f[0]["description"] != "Unauthorized" {
				ok, fail = s[0], f[0]
				return true
			}
			return false
		})
		if ok["user_id"] != annID || ok["client_id"] != confID || ok["ip"] != "127.0.0.1" || ok["audience"] == nil {
			t.Fatalf("sepft %v", ok)
		}
		if fail["description"] != "Wrong email or password." || fail["user_id"] != annID || fail["client_id"] != confID {
			t.Fatalf("fepft %v", fail)
		}
	})
}

func pwCheckProfile(t *testing.T, what string, c map[string]any, profile, email bool) {
	t.Helper()
	for k, want := range map[string]any{"name": "Ann Example", "nickname": "annie", "picture": "https://example.com/ann.png"} {
		if got, ok := c[k]; ok != profile || (ok && got != want) {
			t.Fatalf("%s: %s = %v (present %v, want present %v)", what, k, got, ok, profile)
		}
	}
	if _, ok := c["updated_at"]; ok != profile {
		t.Fatalf("%s: updated_at present %v", what, ok)
	}
	if got, ok := c["email"]; ok != email || (ok && got != "ann@example.com") {
		t.Fatalf("%s: email %v", what, got)
	}
	if got, ok := c["email_verified"]; ok != email || (ok && got != true) {
		t.Fatalf("%s: email_verified %v", what, got)
	}
}

func TestBruteForceProtection(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, publicID := in.passwordApps()
	annID := in.ann()["user_id"].(string)
	in.createUser(map[string]any{"email": "bob@example.com", "password": "bob-password"})
	path := "user-blocks/" + url.PathEscape(annID)
	blockedFor := func() []any {
		return pwStatus(t, in.api("GET", path, nil), 200, "user-blocks")["blocked_for"].([]any)
	}
	fail := func(n int, clientID, secret, ip string) {
		t.Helper()
		for i := range n {
			r := in.loginFrom(clientID, secret, "ann", "wrong password", ip)
			pwOAuthError(t, r, 403, "invalid_grant", "Wrong email or password.", "failure "+strconv.Itoa(i+1))
		}
	}

	t.Run("a success resets the count", func(t *testing.T) {
		fail(9, confID, confSecret, "")
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "success after 9 failures")
		fail(9, confID, confSecret, "")
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "the count started again")
	})

	t.Run("10 failures block the user from that IP until lifted", func(t *testing.T) {
		fail(10, confID, confSecret, "")
		pwOAuthError(t, in.login(confID, confSecret, "ann", annPassword), 429, "too_many_attempts",
			"Your account has been blocked after multiple consecutive login attempts.", "correct password while blocked")
		pwStatus(t, in.login(confID, confSecret, "bob@example.com", "bob-password"), 200, "another user is not blocked")
		pwStatus(t, in.loginFrom(confID, confSecret, "ann", annPassword, "203.0.113.9"), 200, "the same user from another IP")
		if b := blockedFor(); len(b) != 1 || b[0].(map[string]any)["ip"] != "127.0.0.1" || b[0].(map[string]any)["identifier"] != "ann@example.com" {
			t.Fatalf("blocked_for %v", b)
		}
		r := in.api("GET", "user-blocks?identifier=ann", nil)
		if got := pwStatus(t, r, 200, "by identifier")["blocked_for"].([]any); len(got) != 1 {
			t.Fatalf("by identifier: %s", r.body)
		}
		if r := in.api("DELETE", "user-blocks?identifier="+url.QueryEscape("ANN@example.com"), nil); r.status != 204 {
			t.Fatalf("lift by identifier: %d %s", r.status, r.body)
		}
		if b := blockedFor(); len(b) != 0 {
			t.Fatalf("still blocked: %v", b)
		}
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "lifted by identifier")

		fail(10, confID, confSecret, "")
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 429, "blocked again")
		if r := in.api("DELETE", path, nil); r.status != 204 {
			t.Fatalf("lift by id: %d %s", r.status, r.body)
		}
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "lifted by id")
		pwStatus(t, in.api("GET", "user-blocks/auth0%7Cnobody", nil), 404, "blocks of an unknown user")
		if got := pwStatus(t, in.api("GET", "user-blocks?identifier=nobody", nil), 200, "unknown identifier")["blocked_for"].([]any); len(got) != 0 {
			t.Fatalf("unknown identifier %v", got)
		}
	})

	t.Run("auth0-forwarded-for only from confidential clients", func(t *testing.T) {
		// A confidential back end speaks for its users' IPs.
		fail(10, confID, confSecret, "198.51.100.7")
		pwStatus(t, in.loginFrom(confID, confSecret, "ann", annPassword, "198.51.100.7"), 429, "blocked for the forwarded IP")
		pwStatus(t, in.loginFrom(confID, confSecret, "ann", annPassword, "198.51.100.8"), 200, "another forwarded IP")
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "the back end's own IP")
		if b := blockedFor(); len(b) != 1 || b[0].(map[string]any)["ip"] != "198.51.100.7" {
			t.Fatalf("blocked_for %v", b)
		}
		pwStatus(t, in.api("DELETE", path, nil), 204, "lift")

		// A public client cannot: its failures count against its real IP,
		// whatever header it sends.
		fail(10, publicID, "", "192.0.2.55")
		pwStatus(t, in.loginFrom(publicID, "", "ann", annPassword, "192.0.2.99"), 429, "the header did not dodge the block")
		pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 429, "the block is on 127.0.0.1")
		if b := blockedFor(); len(b) != 1 || b[0].(map[string]any)["ip"] != "127.0.0.1" {
			t.Fatalf("blocked_for %v", b)
		}
		// A new password lifts the block, as a reset does on Auth0.
		pwStatus(t, in.api("PATCH", "users/"+url.PathEscape(annID), map[string]any{"password": "another-password"}), 200, "new password")
		pwStatus(t, in.login(confID, confSecret, "ann", "another-password"), 200, "after the password change")
	})
}

// TestPasswordExchangeHook installs hooks through the Management API and
// checks their effect on both tokens, the namespacing rule and the error
// mapping (compat-spec §3.2, §3.5).
func TestPasswordExchangeHook(t *testing.T) {
	in := start(t, options{args: append([]string{"--hook-isolation", "none"}, fastBcrypt...)})
	confID, confSecret, _ := in.passwordApps()
	annID := in.ann()["user_id"].(string)
	script := `module.exports = function (user, client, scope, audience, context, cb) {
  cb(null, {
    accessToken: {
      scope: scope.concat(["extra:scope"]),
      "https://example.com/plan": user.app_metadata.plan,
      "https://example.com/who": user.id + " " + user.email + " " + user.username + " " + user.displayName,
      "https://example.com/ctx": [client.id, audience, context.ip],
      "https://auth0.com/reserved": "dropped",
      "plain": "dropped"
    },
    idToken: {
      "https://example.com/hobby": user.user_metadata.hobby,
      "sub": "dropped",
      "email": "dropped@evil.example"
    }
  });
};`
	r := in.api("POST", "hooks", map[string]any{"name": "enrich", "script": script, "triggerId": "password-exchange", "enabled": true})
	hook := pwStatus(t, r, 201, "create hook")

	var body map[string]any
	waitFor(t, 5*time.Second, "the hook to take effect", func() bool {
		body = pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", "openid read:data"), 200, "login")
		_, ok := claims(t, body["access_token"].(string))["https://example.com/plan"]
		return ok
	})
	ac := claims(t, body["access_token"].(string))
	if ac["scope"] != "openid read:data extra:scope" || body["scope"] != "openid read:data extra:scope" ||
		ac["https://example.com/plan"] != "full" ||
		ac["https://example.com/who"] != annID+" ann@example.com ann Ann Example" ||
		!pwJSONEqual(ac["https://example.com/ctx"], []any{confID, usersAPI, "127.0.0.1"}) {
		t.Fatalf("access token %v", ac)
	}
	for _, k := range []string{"https://auth0.com/reserved", "plain"} {
		if _, ok := ac[k]; ok {
			t.Fatalf("claim %q was not dropped", k)
		}
	}
	ic := claims(t, body["id_token"].(string))
	if ic["https://example.com/hobby"] != "surfing" || ic["sub"] != annID || ic["email"] != "ann@example.com" {
		t.Fatalf("id token %v", ic)
	}
	waitFor(t, 5*time.Second, "the sepft event with the hook", func() bool {
		l := in.api("GET", "logs?q=type:sepft", nil).list(t)
		return len(l) > 0 && l[0]["hook"] == "enrich"
	})

	// An absent accessToken.scope keeps the granted scopes (unlike
	// credentials-exchange): the starter code answers {} and must issue them.
	// Each response is told apart from the previous one by its marker claim.
	for _, c := range []struct {
		resp   string
		marker any
	}{{`{accessToken: {"https://example.com/only": 1}}`, 1.0}, {`{accessToken: {scope: undefined, "https://example.com/only": 2}}`, 2.0}, {`{}`, nil}} {
		pwStatus(t, in.api("PATCH", "hooks/"+hook["id"].(string), map[string]any{
			"script": `module.exports = function (user, client, scope, audience, context, cb) { cb(null, ` + c.resp + `); };`,
		}), 200, "patch hook")
		waitFor(t, 5*time.Second, "the hook without accessToken.scope", func() bool {
			body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", "openid read:data"), 200, "login")
			ac := claims(t, body["access_token"].(string))
			if ac["https://example.com/only"] != c.marker || ac["https://example.com/plan"] != nil {
				return false // an earlier version of the hook
			}
			if ac["scope"] != "openid read:data" || body["scope"] != "openid read:data" {
				t.Fatalf("%s: scope %v / %v, want the granted scopes", c.resp, ac["scope"], body["scope"])
			}
			return true
		})
	}

	// A plain error signals an authorization failure: 403 access_denied.
	pwStatus(t, in.api("PATCH", "hooks/"+hook["id"].(string), map[string]any{
		"script": `module.exports = function (user, client, scope, audience, context, cb) { cb(new Error("no logins on Sundays")); };`,
	}), 200, "patch hook")
	waitFor(t, 5*time.Second, "the failing hook to take effect", func() bool {
		r := in.login(confID, confSecret, "ann", annPassword)
		if r.status == 200 {
			return false
		}
		pwOAuthError(t, r, 403, "access_denied", "no logins on Sundays", "hook error")
		return true
	})
	pwStatus(t, in.api("PATCH", "hooks/"+hook["id"].(string), map[string]any{
		"script": `module.exports = function (user, client, scope, audience, context, cb) { cb(new InvalidScopeError("not that scope")); };`,
	}), 200, "patch hook")
	waitFor(t, 5*time.Second, "the invalid-scope hook", func() bool {
		r := in.login(confID, confSecret, "ann", annPassword)
		if r.status == 403 {
			return false
		}
		pwOAuthError(t, r, 400, "invalid_scope", "not that scope", "hook invalid scope")
		return true
	})
	waitFor(t, 5*time.Second, "the fepft event with the hook", func() bool {
		l := in.api("GET", "logs?q=type:fepft", nil).list(t)
		return len(l) > 0 && l[0]["hook"] == "enrich" && l[0]["description"] == "not that scope"
	})
	// A wrong password never reaches the hook.
	pwOAuthError(t, in.login(confID, confSecret, "ann", "wrong password"), 403, "invalid_grant", "Wrong email or password.", "wrong password with a hook")
}

// TestFailedLoginCostDoesNotRevealUsers measures failed logins at the
// default bcrypt cost (10, ~50 ms a compare): an unknown user must cost
// about what a known user with a wrong password costs. Without the dummy
// compare an unknown user answers in about a millisecond, 20-50 times
// faster, far outside the factor-of-3 tolerance that absorbs scheduling
// noise on a shared machine.
func TestFailedLoginCostDoesNotRevealUsers(t *testing.T) {
	in := start(t, options{})
	confID, confSecret, _ := in.passwordApps()
	in.ann()
	measure := func(user string) time.Duration {
		start := time.Now()
		pwOAuthError(t, in.login(confID, confSecret, user, "wrong password"), 403, "invalid_grant", "Wrong email or password.", user)
		return time.Since(start)
	}
	var known, unknown []time.Duration
	// Interleaved, so a burst of load from elsewhere hits both sides; 7
	// failures stay under the brute-force threshold.
	for range 7 {
		known = append(known, measure("ann@example.com"))
		unknown = append(unknown, measure("nobody@example.com"))
	}
	med := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	k, u := med(known), med(unknown)
	t.Logf("median failed login: known user %v, unknown user %v", k, u)
	if u < k/3 || u > k*3 {
		t.Fatalf("failed logins differ by user existence: known %v, unknown %v", k, u)
	}
}
