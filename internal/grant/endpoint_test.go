package grant_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/grant"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

const (
	tenant = "t"
	issuer = "https://tokens.test/"
	api    = "https://api.test/"
	annPW  = "ann-password"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// newEndpoint serves the token endpoint over real HTTP on a real SQLite
// store, catalog and event log, with a fixed clock. users=false leaves the
// password grants unconfigured.
func newEndpoint(t *testing.T, users bool) *httptest.Server {
	t.Helper()
	return newEndpointWith(t, users, nil)
}

// newEndpointWith is newEndpoint with the password hasher wrapped by wrap
// (nil: unwrapped).
func newEndpointWith(t *testing.T, users bool, wrap func(grant.Passwords) grant.Passwords) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	sealer, err := seal.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlitetest.Path(t, "grant.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := func() time.Time { return t0 }
	if err := (&keys.Manager{Store: store, Tenant: tenant, Rand: rand.Reader, Now: now}).Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreateResourceServer(ctx, storage.ResourceServer{Tenant: tenant, ID: "rs1", Identifier: api, Name: "API",
		Scopes: []storage.Scope{{Value: "read"}, {Value: "write"}}, TokenLifetime: 3600, SigningAlg: "RS256", CreatedAt: t0, UpdatedAt: t0}))
	must(store.CreateResourceServer(ctx, storage.ResourceServer{Tenant: tenant, ID: "rs2", Identifier: issuer + "api/v2/", Name: "Management",
		Scopes: []storage.Scope{{Value: "read:hooks"}}, TokenLifetime: 3600, SigningAlg: "RS256", IsSystem: true, CreatedAt: t0, UpdatedAt: t0}))
	client := func(id, method string, grants ...string) {
		must(store.CreateClient(ctx, storage.Client{Tenant: tenant, ClientID: id, Secret: id + "-secret", Name: id, AppType: "non_interactive",
			GrantTypes: grants, TokenEndpointAuthMethod: method, Metadata: map[string]string{}, CreatedAt: t0, UpdatedAt: t0}))
	}
	client("m2m", "client_secret_post", "client_credentials")
	client("nogrant", "client_secret_post", "client_credentials")
	client("app", "client_secret_post", "password", "http://auth0.com/oauth/grant-type/password-realm")
	client("public", "none", "password", "client_credentials")
	must(store.CreateClient(ctx, storage.Client{Tenant: tenant, ClientID: "short", Secret: "short-secret", Name: "short", AppType: "regular_web",
		GrantTypes: []string{"password", "http://auth0.com/oauth/grant-type/password-realm"}, TokenEndpointAuthMethod: "client_secret_post",
		Metadata: map[string]string{}, IDTokenLifetime: 7200, CreatedAt: t0, UpdatedAt: t0}))
	must(store.CreateClientGrant(ctx, storage.ClientGrant{Tenant: tenant, ID: "cg1", ClientID: "m2m", Audience: api, Scope: []string{"read"}, CreatedAt: t0, UpdatedAt: t0}))
	must(store.CreateClientGrant(ctx, storage.ClientGrant{Tenant: tenant, ID: "cg2", ClientID: "public", Audience: api, Scope: []string{"read"}, CreatedAt: t0, UpdatedAt: t0}))
	hasher, err := password.NewHasher(password.MinCost)
	must(err)
	hash, err := hasher.Hash(annPW)
	must(err)
	must(store.CreateUser(ctx, storage.User{Tenant: tenant, UserID: "auth0|ann", Connection: storage.DatabaseConnection,
		Email: "ann@example.com", PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0}))

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	signers, err := keys.NewSigners("go", log)
	must(err)
	life, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	cache, err := catalog.New(life, store, tenant, now, log, signers)
	must(err)
	events := eventlog.New(store, log, eventlog.Options{Now: now})
	t.Cleanup(events.Close)
	e := &grant.Endpoint{Issuer: issuer, Catalog: cache, Events: events, Metrics: grant.NewMetrics(prometheus.NewRegistry()),
		Lockout: password.Lockout{Threshold: 10, Window: time.Hour}, Now: now, Log: log}
	if users {
		e.Users, e.Passwords = store, hasher
		if wrap != nil {
			e.Passwords = wrap(hasher)
		}
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, kv ...string) (int, map[string]any) {
	t.Helper()
	form := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	res, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// TestSharedPhases runs every grant through the phases Endpoint.run owns,
// one failure per phase and the order between them: the grant's own
// parameters come before the audience, the audience before the user's
// password, and each grant takes the client authentication and audience
// rules it declares.
func TestSharedPhases(t *testing.T) {
	srv := newEndpoint(t, true)
	cc := []string{"grant_type", "client_credentials", "client_id", "m2m", "client_secret", "m2m-secret", "audience", api}
	pw := []string{"grant_type", "password", "client_id", "app", "client_secret", "app-secret", "username", "ann@example.com", "password", annPW, "audience", api}
	with := func(base []string, kv ...string) []string {
		out := append([]string(nil), base...)
	next:
		for i := 0; i < len(kv); i += 2 {
			for j := 0; j < len(out); j += 2 {
				if out[j] == kv[i] {
					out[j+1] = kv[i+1]
					continue next
				}
			}
			out = append(out, kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		name   string
		req    []string
		status int
		code   string // "" = a token
		desc   string
	}{
		{"client credentials", cc, 200, "", ""},
		{"unknown grant type", with(cc, "grant_type", "implicit"), 400, "unsupported_grant_type", ""},
		{"wrong secret", with(cc, "client_secret", "nope"), 401, "access_denied", "Unauthorized"},
		{"grant type not enabled", with(pw, "client_id", "m2m", "client_secret", "m2m-secret"), 403, "unauthorized_client", ""},
		{"public client at client credentials", with(cc, "client_id", "public", "client_secret", ""), 401, "access_denied", "Unauthorized"},
		{"missing audience", with(cc, "audience", ""), 400, "invalid_request", "Missing required parameter: audience"},
		{"unknown audience", with(cc, "audience", "https://nope.test/"), 403, "access_denied", "Service not enabled within domain: https://nope.test/"},
		{"no client grant", with(cc, "client_id", "nogrant", "client_secret", "nogrant-secret"), 403, "access_denied", ""},
		{"client credentials for the Management API without a grant", with(cc, "audience", issuer+"api/v2/"), 403, "access_denied", ""},

		{"password", pw, 200, "", ""},
		{"public client at password", with(pw, "client_id", "public", "client_secret", ""), 200, "", ""},
		{"missing username before unknown audience", with(pw, "username", "", "audience", "https://nope.test/"), 400, "invalid_request", "Missing required parameter: username"},
		{"unknown realm before unknown audience", with(pw, "grant_type", "http://auth0.com/oauth/grant-type/password-realm", "realm", "ldap", "audience", "https://nope.test/"),
			400, "invalid_request", "Unknown realm 'ldap'"},
		{"unknown audience before the password", with(pw, "password", "wrong", "audience", "https://nope.test/"), 403, "access_denied", "Service not enabled within domain: https://nope.test/"},
		{"user token for the Management API", with(pw, "audience", issuer+"api/v2/"), 403, "access_denied", ""},
		{"no audience without openid: a token for /userinfo", with(pw, "audience", ""), 200, "", ""},
		{"no audience at password-realm", with(pw, "audience", "", "grant_type", "http://auth0.com/oauth/grant-type/password-realm", "realm", "Username-Password-Authentication"), 200, "", ""},
		{"wrong password", with(pw, "password", "wrong"), 403, "invalid_grant", "Wrong email or password."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, srv, c.req...)
			if status != c.status || (c.code != "" && body["error"] != c.code) || (c.desc != "" && body["error_description"] != c.desc) {
				t.Fatalf("%d %v, want %d %s %q", status, body, c.status, c.code, c.desc)
			}
			if c.code == "" && (body["access_token"] == nil || body["token_type"] != "Bearer") {
				t.Fatalf("no token: %v", body)
			}
		})
	}

	// openid without an audience: a token for /userinfo only, and an ID token.
	status, body := post(t, srv, with(pw, "audience", "", "scope", "openid email")...)
	if status != 200 || body["id_token"] == nil || body["expires_in"] != float64(grant.DefaultUserinfoLifetime/time.Second) {
		t.Fatalf("openid without audience: %d %v", status, body)
	}
	if status, body := post(t, srv, with(cc, "scope", "read write")...); status != 200 || body["scope"] != "read" {
		t.Fatalf("requested scopes narrow to the grant's: %d %v", status, body)
	}
}

// TestPasswordGrantsUnconfigured: without a user store the password grants
// are unsupported, checked after the body and the client's credentials
// parse and before the client is authenticated.
func TestPasswordGrantsUnconfigured(t *testing.T) {
	srv := newEndpoint(t, false)
	status, body := post(t, srv, "grant_type", "password", "client_id", "app", "client_secret", "wrong", "username", "a", "password", "b")
	if status != 400 || body["error"] != "unsupported_grant_type" {
		t.Fatalf("%d %v", status, body)
	}
	if status, body := post(t, srv, "grant_type", "client_credentials", "client_id", "m2m", "client_secret", "m2m-secret", "audience", api); status != 200 {
		t.Fatalf("client credentials: %d %v", status, body)
	}
}

// TestIDTokenLifetimePerClient: an ID token lives as long as its client's
// jwt_configuration.lifetime_in_seconds says, Auth0's default without one,
// at both password grants; the access token keeps its API's lifetime.
func TestIDTokenLifetimePerClient(t *testing.T) {
	srv := newEndpoint(t, true)
	for _, c := range []struct {
		client, grantType string
		want              int64
	}{
		{"app", "password", 36000},
		{"short", "password", 7200},
		{"short", "http://auth0.com/oauth/grant-type/password-realm", 7200},
	} {
		t.Run(c.client+" "+c.grantType, func(t *testing.T) {
			status, body := post(t, srv, "grant_type", c.grantType, "client_id", c.client, "client_secret", c.client+"-secret",
				"username", "ann@example.com", "password", annPW, "realm", "Username-Password-Authentication", "audience", api, "scope", "openid")
			raw, _ := body["id_token"].(string)
			if status != 200 || raw == "" || body["expires_in"] != float64(3600) {
				t.Fatalf("%d %v", status, body)
			}
			parts := strings.Split(raw, ".")
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var claims struct {
				Iat, Exp int64
				Aud      string
			}
			if err := json.Unmarshal(payload, &claims); err != nil {
				t.Fatal(err)
			}
			if claims.Aud != c.client || claims.Iat != t0.Unix() || claims.Exp-claims.Iat != c.want {
				t.Fatalf("claims %s, want exp-iat %d", payload, c.want)
			}
		})
	}
}
