package mgmt_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/token"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name, header, code, message string
	}{
		{"missing", "", "missing_authentication", "Missing authentication"},
		{"not bearer", "Basic YWRtaW46c2VjcmV0", "invalid_token", "Bad HTTP authentication header format"},
		{"empty bearer", "Bearer ", "invalid_token", "Bad HTTP authentication header format"},
		{"garbage", "Bearer not.a.jwt", "invalid_token", "Invalid token"},
		{"wrong audience", "Bearer " + e.mint(all, func(a *token.Access) { a.Audience = []string{"https://other.api/"} }), "invalid_token", "Invalid token"},
		{"wrong issuer", "Bearer " + e.mint(all, func(a *token.Access) { a.Issuer = "https://evil.test/" }), "invalid_token", "Invalid token"},
		{"expired", "Bearer " + e.mint(all, func(a *token.Access) { a.IssuedAt = testNow.Add(-2 * time.Hour) }), "invalid_token", "Invalid token"},
		{"user token", "Bearer " + e.mint(all, func(a *token.Access) { a.GrantType = token.GrantTypePassword; a.Subject = "auth0|u1" }), "invalid_token", "Invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest("GET", e.srv.URL+"/api/v2/clients", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got := readResp(t, res)
			expect(t, got, 401, tt.code, tt.message)
			if !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", got.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestInsufficientScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		method, path, scopes, want string
	}{
		{"GET", "/clients", "read:hooks", "read:clients,read:client_keys"},
		{"GET", "/clients", "", "read:clients,read:client_keys"},
		{"POST", "/clients", "read:clients", "create:clients"},
		{"DELETE", "/clients/x", "read:clients update:clients", "delete:clients"},
		{"POST", "/clients/x/rotate-secret", "update:clients", "update:client_keys"},
		{"GET", "/resource-servers", "read:clients", "read:resource_servers"},
		{"PATCH", "/resource-servers/x", "read:resource_servers", "update:resource_servers"},
		{"POST", "/client-grants", "read:client_grants", "create:client_grants"},
		{"GET", "/keys/signing", "read:clients", "read:signing_keys"},
		{"POST", "/keys/signing/rotate", "read:signing_keys", "create:signing_keys,update:signing_keys"},
		{"GET", "/logs", "read:clients", "read:logs,read:logs_users"},
		{"GET", "/tenants/settings", "update:tenant_settings", "read:tenant_settings"},
		{"PATCH", "/tenants/settings", "read:tenant_settings", "update:tenant_settings"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.req(tt.method, tt.path, tt.scopes, nil)
			expect(t, r, 403, "insufficient_scope", "Insufficient scope, expected any of: "+tt.want)
		})
	}
	// The exact body Auth0 SDKs and the compat spec pin.
	r := e.req("GET", "/clients", "read:hooks", nil)
	if want := `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:clients,read:client_keys","errorCode":"insufficient_scope"}`; string(r.body) != want {
		t.Errorf("body\n%s\nwant\n%s", r.body, want)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	expect(t, e.req("GET", "/nope", all, nil), 404, "not_found", "Not Found")
	r := e.req("PUT", "/clients", all, nil)
	expect(t, r, 405, "method_not_allowed", "Method Not Allowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	s := mgmt.Scopes()
	for _, want := range []string{
		"read:clients", "create:clients", "update:clients", "delete:clients", "read:client_keys", "update:client_keys",
		"read:resource_servers", "create:resource_servers", "update:resource_servers", "delete:resource_servers",
		"read:client_grants", "create:client_grants", "update:client_grants", "delete:client_grants",
		"read:signing_keys", "create:signing_keys", "update:signing_keys", "read:logs", "read:logs_users",
		"read:tenant_settings", "update:tenant_settings",
		"read:hooks", "create:hooks", "update:hooks", "delete:hooks",
		"read:users", "create:users", "update:users", "delete:users",
	} {
		if !slices.Contains(s, want) {
			t.Errorf("Scopes() lacks %s", want)
		}
	}
	seen := map[string]bool{}
	for _, v := range s {
		if seen[v] {
			t.Errorf("duplicate scope %s", v)
		}
		seen[v] = true
	}
	if len(mgmt.SystemScopes()) != len(s) {
		t.Errorf("SystemScopes and Scopes differ")
	}
}

// An internal failure is a generic 500 in Auth0's shape; the detail goes
// to the server log only.
func TestInternalErrorIsGeneric(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secret := e.req("POST", "/clients", all, `{"name":"a"}`).json(t)["client_secret"].(string)
	tok := e.mint(all) // minted while the store still answers
	e.frozen = e.keySet()
	e.store.Close()
	r, err := http.NewRequest("GET", e.srv.URL+"/api/v2/clients", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got := readResp(t, res)
	expect(t, got, 500, "internal_error", "Internal error")
	logs := e.logs.String()
	if !strings.Contains(logs, "mgmt: internal error") {
		t.Errorf("detail not logged: %s", logs)
	}
	if strings.Contains(logs, secret) || strings.Contains(logs, tok) {
		t.Errorf("log contains a secret: %s", logs)
	}
}
