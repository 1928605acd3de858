package mgmt_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

var (
	clientIDRe     = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	clientSecretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{64}$`)
)

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestCreateClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name       string
		body       any
		appType    string
		grants     []string
		authMethod string
	}{
		{"defaults", map[string]any{"name": "web"}, "regular_web",
			[]string{"authorization_code", "implicit", "refresh_token", "client_credentials"}, "client_secret_post"},
		{"m2m", map[string]any{"name": "m2m", "app_type": "non_interactive"}, "non_interactive",
			[]string{"client_credentials"}, "client_secret_post"},
		{"spa", map[string]any{"name": "spa", "app_type": "spa"}, "spa",
			[]string{"authorization_code", "implicit", "refresh_token"}, "none"},
		{"explicit", map[string]any{"name": "pw", "app_type": "non_interactive", "grant_types": []string{"password", "client_credentials"},
			"token_endpoint_auth_method": "client_secret_basic", "client_metadata": map[string]string{"plan": "full"},
			"oidc_conformant": true, "jwt_configuration": map[string]any{"alg": "RS256"}}, "non_interactive",
			[]string{"password", "client_credentials"}, "client_secret_basic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.req("POST", "/clients", "create:clients", tt.body)
			expect(t, r, 201, "", "")
			c := r.json(t)
			if !clientIDRe.MatchString(c["client_id"].(string)) {
				t.Errorf("client_id %v", c["client_id"])
			}
			// The secret is returned on creation even without read:client_keys.
			if s, _ := c["client_secret"].(string); !clientSecretRe.MatchString(s) {
				t.Errorf("client_secret %q", s)
			}
			if c["app_type"] != tt.appType || !slices.Equal(strs(c["grant_types"]), tt.grants) || c["token_endpoint_auth_method"] != tt.authMethod {
				t.Errorf("got %s", r.body)
			}
			if c["tenant"] != tenant || c["oidc_conformant"] != true || c["global"] != false {
				t.Errorf("got %s", r.body)
			}
			jc := c["jwt_configuration"].(map[string]any)
			if jc["alg"] != "RS256" || jc["lifetime_in_seconds"] != float64(36000) {
				t.Errorf("jwt_configuration %v", jc)
			}
			for _, k := range []string{"callbacks", "allowed_origins", "web_origins", "allowed_logout_urls"} {
				if _, ok := c[k].([]any); !ok {
					t.Errorf("%s is not an array: %s", k, r.body)
				}
			}
			if _, ok := c["client_metadata"].(map[string]any); !ok {
				t.Errorf("client_metadata not an object")
			}
		})
	}
}

func TestCreateClientInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eleven := map[string]string{}
	for i := range 11 {
		eleven[string(rune('a'+i))] = "v"
	}
	tests := []struct {
		name, body, message string
	}{
		{"no name", `{}`, "Payload validation error: 'Missing required property: name'."},
		{"empty name", `{"name":""}`, "Payload validation error: 'Missing required property: name'."},
		{"unknown field", `{"name":"a","colour":"red"}`, "Payload validation error: 'Additional properties not allowed: colour'."},
		{"client_id", `{"name":"a","client_id":"mine"}`, "Payload validation error: 'Additional properties not allowed: client_id'."},
		{"case matters", `{"NAME":"a"}`, "Payload validation error: 'Additional properties not allowed: NAME'."},
		{"wrong type", `{"name":5}`, "Payload validation error: 'Expected type string but found type number' on property name."},
		{"bad app_type", `{"name":"a","app_type":"tv"}`, ""},
		{"bad grant", `{"name":"a","grant_types":["urn:ietf:params:oauth:grant-type:device_code"]}`, ""},
		{"public client credentials", `{"name":"a","app_type":"spa","grant_types":["client_credentials"]}`, ""},
		{"bad auth method", `{"name":"a","token_endpoint_auth_method":"private_key_jwt"}`, ""},
		{"metadata value type", `{"name":"a","client_metadata":{"n":1}}`, ""},
		{"metadata too many", `{"name":"a","client_metadata":` + mustJSON(eleven) + `}`, ""},
		{"metadata value too long", `{"name":"a","client_metadata":{"k":"` + strings.Repeat("x", 256) + `"}}`, ""},
		{"metadata bad key", `{"name":"a","client_metadata":{"k!":"v"}}`, ""},
		{"non-conformant", `{"name":"a","oidc_conformant":false}`, ""},
		{"HS256 id tokens", `{"name":"a","jwt_configuration":{"alg":"HS256"}}`, ""},
		{"array body", `[{"name":"a"}]`, "Payload validation error: 'Expected type object but found type array'."},
		{"malformed", `{"name":`, "Invalid request payload JSON format"},
		{"trailing data", `{"name":"a"} {}`, "Invalid request payload JSON format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, e.req("POST", "/clients", all, tt.body), 400, "invalid_body", tt.message)
		})
	}
	list, _, err := e.store.ListClients(context.Background(), tenant, storage.Page{})
	if err != nil || len(list) != 0 {
		t.Fatalf("rejected bodies created clients: %v %v", list, err)
	}
}

func TestClientBodiesAndLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t.Run("form body", func(t *testing.T) {
		r := e.req("POST", "/clients", all, "name=formed&app_type=non_interactive&grant_types=client_credentials&grant_types=password&client_metadata[plan]=full&is_first_party=true",
			"application/x-www-form-urlencoded")
		expect(t, r, 201, "", "")
		c := r.json(t)
		if c["name"] != "formed" || !slices.Equal(strs(c["grant_types"]), []string{"client_credentials", "password"}) ||
			c["client_metadata"].(map[string]any)["plan"] != "full" || c["is_first_party"] != true {
			t.Errorf("got %s", r.body)
		}
	})
	t.Run("form unknown field", func(t *testing.T) {
		expect(t, e.req("POST", "/clients", all, "name=a&colour=red", "application/x-www-form-urlencoded"), 400, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: colour'.")
	})
	t.Run("form bad bool", func(t *testing.T) {
		expect(t, e.req("POST", "/clients", all, "name=a&is_first_party=maybe", "application/x-www-form-urlencoded"), 400, "invalid_body", "")
	})
	t.Run("json with charset", func(t *testing.T) {
		expect(t, e.req("POST", "/clients", all, `{"name":"cs"}`, "application/json; charset=utf-8"), 201, "", "")
	})
	t.Run("wrong content type", func(t *testing.T) {
		expect(t, e.req("POST", "/clients", all, `{"name":"a"}`, "text/plain"), 415, "unsupported_media_type", "")
	})
	t.Run("no content type", func(t *testing.T) {
		expect(t, e.req("POST", "/clients", all, `{"name":"a"}`, ""), 415, "unsupported_media_type", "")
	})
	t.Run("oversize", func(t *testing.T) {
		big := `{"name":"a","description":"` + strings.Repeat("x", 1<<20) + `"}`
		expect(t, e.req("POST", "/clients", all, big), 413, "payload_too_large", "Payload content length greater than maximum allowed: 1048576")
	})
	t.Run("unknown query parameter", func(t *testing.T) {
		expect(t, e.req("POST", "/clients?x=1", all, `{"name":"a"}`), 400, "invalid_query_string", "Query validation error: 'Additional properties not allowed: x'.")
	})
}

func TestClientReadUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.req("POST", "/clients", all, map[string]any{"name": "app", "app_type": "non_interactive",
		"client_metadata": map[string]string{"plan": "full", "tier": "gold"}}).json(t)
	id := created["client_id"].(string)
	secret := created["client_secret"].(string)

	t.Run("secret only with read:client_keys", func(t *testing.T) {
		r := e.req("GET", "/clients/"+id, "read:clients", nil)
		expect(t, r, 200, "", "")
		if _, ok := r.json(t)["client_secret"]; ok {
			t.Errorf("secret leaked without read:client_keys: %s", r.body)
		}
		r = e.req("GET", "/clients/"+id, "read:client_keys", nil)
		if r.json(t)["client_secret"] != secret {
			t.Errorf("secret missing with read:client_keys: %s", r.body)
		}
		for _, c := range e.req("GET", "/clients", "read:clients", nil).list(t) {
			if _, ok := c["client_secret"]; ok {
				t.Errorf("list leaked a secret")
			}
		}
	})
	t.Run("fields", func(t *testing.T) {
		r := e.req("GET", "/clients/"+id+"?fields=name,client_id", "read:clients", nil)
		expect(t, r, 200, "", "")
		if got := r.json(t); len(got) != 2 || got["name"] != "app" || got["client_id"] != id {
			t.Errorf("got %s", r.body)
		}
		r = e.req("GET", "/clients/"+id+"?fields=client_metadata&include_fields=false", "read:clients", nil)
		if got := r.json(t); got["client_metadata"] != nil || got["name"] != "app" {
			t.Errorf("got %s", r.body)
		}
	})
	t.Run("patch merges metadata and keeps the rest", func(t *testing.T) {
		r := e.req("PATCH", "/clients/"+id, "update:clients", `{"description":"d","client_metadata":{"plan":"lite","tier":null,"new":"x"},"callbacks":["https://a.test/cb"]}`)
		expect(t, r, 200, "", "")
		got := r.json(t)
		md := got["client_metadata"].(map[string]any)
		if got["description"] != "d" || got["name"] != "app" || md["plan"] != "lite" || md["new"] != "x" || md["tier"] != nil ||
			!slices.Equal(strs(got["callbacks"]), []string{"https://a.test/cb"}) || got["app_type"] != "non_interactive" {
			t.Errorf("got %s", r.body)
		}
		if _, ok := got["client_secret"]; ok {
			t.Errorf("PATCH without key scopes returned the secret")
		}
		stored, err := e.store.GetClient(context.Background(), tenant, id)
		if err != nil || stored.Secret != secret || stored.Description != "d" {
			t.Errorf("stored %+v %v", stored, err)
		}
	})
	t.Run("patch rejects", func(t *testing.T) {
		expect(t, e.req("PATCH", "/clients/"+id, all, `{"client_id":"x"}`), 400, "invalid_body", "Payload validation error: 'Additional properties not allowed: client_id'.")
		expect(t, e.req("PATCH", "/clients/"+id, all, `{"name":""}`), 400, "invalid_body", "")
		expect(t, e.req("PATCH", "/clients/"+id, all, `{"grant_types":["magic"]}`), 400, "invalid_body", "")
		expect(t, e.req("PATCH", "/clients/"+id, all, `{"client_secret":"short"}`), 400, "invalid_body", "")
	})
	t.Run("patch secret needs update:client_keys", func(t *testing.T) {
		newSecret := strings.Repeat("s", 40)
		expect(t, e.req("PATCH", "/clients/"+id, "update:clients", map[string]string{"client_secret": newSecret}), 403, "insufficient_scope",
			"Insufficient scope, expected any of: update:client_keys")
		expect(t, e.req("PATCH", "/clients/"+id, "update:client_keys", map[string]string{"name": "x"}), 403, "insufficient_scope",
			"Insufficient scope, expected any of: update:clients")
		r := e.req("PATCH", "/clients/"+id, "update:client_keys", map[string]string{"client_secret": newSecret})
		expect(t, r, 200, "", "")
		if r.json(t)["client_secret"] != newSecret {
			t.Errorf("got %s", r.body)
		}
		secret = newSecret
	})
	t.Run("rotate", func(t *testing.T) {
		r := e.req("POST", "/clients/"+id+"/rotate-secret", "update:client_keys", nil)
		expect(t, r, 200, "", "")
		got := r.json(t)["client_secret"].(string)
		if got == secret || !clientSecretRe.MatchString(got) {
			t.Errorf("rotated secret %q", got)
		}
		stored, _ := e.store.GetClient(context.Background(), tenant, id)
		if stored.Secret != got {
			t.Errorf("stored secret not rotated")
		}
		expect(t, e.req("POST", "/clients/nope/rotate-secret", all, nil), 404, "inexistent_client", "The client does not exist")
	})
	t.Run("delete", func(t *testing.T) {
		expect(t, e.req("DELETE", "/clients/"+id, "delete:clients", nil), 204, "", "")
		expect(t, e.req("GET", "/clients/"+id, all, nil), 404, "inexistent_client", "The client does not exist")
		expect(t, e.req("DELETE", "/clients/"+id, all, nil), 404, "inexistent_client", "The client does not exist")
		expect(t, e.req("PATCH", "/clients/"+id, all, `{"name":"x"}`), 404, "inexistent_client", "The client does not exist")
	})
	t.Run("global client cannot be deleted", func(t *testing.T) {
		g := storage.Client{Tenant: tenant, ClientID: "globalglobalglobalglobalglobal00", Secret: strings.Repeat("g", 64), Name: "All Applications",
			AppType: "non_interactive", GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_post", Global: true,
			CreatedAt: testNow, UpdatedAt: testNow}
		if err := e.store.CreateClient(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		expect(t, e.req("DELETE", "/clients/"+g.ClientID, all, nil), 403, "operation_not_supported", "The global client cannot be deleted")
	})
}

// TestClientIDTokenLifetime: jwt_configuration.lifetime_in_seconds is
// stored and returned, as an auth0-deploy-cli import of a tenant sends it
// for every client; a PATCH without it keeps it.
func TestClientIDTokenLifetime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lifetime := func(t *testing.T, r resp) any {
		t.Helper()
		expect(t, r, 200, "", "")
		return r.json(t)["jwt_configuration"].(map[string]any)["lifetime_in_seconds"]
	}
	r := e.req("POST", "/clients", all, `{"name":"imported","app_type":"regular_web","jwt_configuration":{"alg":"RS256","lifetime_in_seconds":7200,"secret_encoded":false}}`)
	expect(t, r, 201, "", "")
	created := r.json(t)
	id := created["client_id"].(string)
	if got := created["jwt_configuration"].(map[string]any)["lifetime_in_seconds"]; got != float64(7200) {
		t.Fatalf("created with %v", got)
	}
	if got := lifetime(t, e.req("GET", "/clients/"+id, all, nil)); got != float64(7200) {
		t.Fatalf("read back %v", got)
	}
	if got := lifetime(t, e.req("PATCH", "/clients/"+id, all, `{"jwt_configuration":{"lifetime_in_seconds":600}}`)); got != float64(600) {
		t.Fatalf("patched to %v", got)
	}
	if got := lifetime(t, e.req("PATCH", "/clients/"+id, all, `{"description":"d"}`)); got != float64(600) {
		t.Fatalf("an unrelated patch made it %v", got)
	}
	if stored, err := e.store.GetClient(context.Background(), tenant, id); err != nil || stored.IDTokenLifetime != 600 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	for _, bad := range []string{`0`, `-5`, `"7200"`, `2147483648`} {
		expect(t, e.req("PATCH", "/clients/"+id, all, `{"jwt_configuration":{"lifetime_in_seconds":`+bad+`}}`), 400, "invalid_body", "")
	}
	if got := lifetime(t, e.req("GET", "/clients/"+id, all, nil)); got != float64(600) {
		t.Fatalf("a refused patch left %v", got)
	}
}

func TestListClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct{ name, appType string }{{"a", "non_interactive"}, {"b", "spa"}, {"c", "non_interactive"}, {"d", "regular_web"}} {
		expect(t, e.req("POST", "/clients", all, map[string]string{"name": c.name, "app_type": c.appType}), 201, "", "")
	}
	names := func(list []map[string]any) []string {
		var out []string
		for _, c := range list {
			out = append(out, c["name"].(string))
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"a", "b", "c", "d"}},
		{"?app_type=non_interactive", []string{"a", "c"}},
		{"?app_type=spa,regular_web", []string{"b", "d"}},
		{"?is_global=false&app_type=spa", []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.req("GET", "/clients"+tt.query, "read:clients", nil)
			expect(t, r, 200, "", "")
			if got := names(r.list(t)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	r := e.req("GET", "/clients?app_type=non_interactive&include_totals=true&per_page=1&page=1", "read:clients", nil)
	got := r.json(t)
	if got["total"] != float64(2) || got["start"] != float64(1) || got["limit"] != float64(1) || len(got["clients"].([]any)) != 1 {
		t.Errorf("got %s", r.body)
	}
	expect(t, e.req("GET", "/clients?app_type=tv", "read:clients", nil), 400, "invalid_query_string", "")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
