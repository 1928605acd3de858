package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestClientGrantAllowAllScopes: a grant with allow_all_scopes gives a
// client_credentials token every scope the API defines, a scope added to
// the API afterwards included (the token path reads the in-memory
// catalog), narrowed by a requested scope as any grant is; turning it off
// leaves the grant's own scopes.
func TestClientGrantAllowAllScopes(t *testing.T) {
	t.Parallel()
	in := start(t, options{})
	const aud = "https://inventory.example/"
	id, secret := in.m2m(aud, []string{"read:stock", "write:stock"}, []string{}, nil)
	grants := in.api("GET", "client-grants?client_id="+id, nil).list(t)
	if len(grants) != 1 {
		t.Fatalf("grants: %v", grants)
	}
	grantID := grants[0]["id"].(string)
	r := in.api("PATCH", "client-grants/"+grantID, map[string]any{"allow_all_scopes": true})
	if r.status != 200 || r.json(t)["allow_all_scopes"] != true {
		t.Fatalf("allow all scopes: %d %s", r.status, r.body)
	}
	scopeOf := func(extra ...string) any {
		t.Helper()
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {aud}}
		if len(extra) > 0 {
			v.Set("scope", extra[0])
		}
		r := in.tokenForm(v)
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		return claims(t, r.json(t)["access_token"].(string))["scope"]
	}
	waitFor(t, 5*time.Second, "the token to carry every scope of the API", func() bool { return scopeOf() == "read:stock write:stock" })
	c := newCLI(t, in)
	c.init()
	if out := c.ok("grants", "get", grantID); !strings.Contains(out, "all (allow_all_scopes)") {
		t.Fatalf("tokenhook grants get:\n%s", out)
	}
	if got := scopeOf("write:stock admin"); got != "write:stock" {
		t.Fatalf("requested write:stock and admin: %v", got)
	}

	apis := in.api("GET", "resource-servers", nil).list(t)
	var apiID string
	for _, a := range apis {
		if a["identifier"] == aud {
			apiID = a["id"].(string)
		}
	}
	if r := in.api("PATCH", "resource-servers/"+apiID, map[string]any{"scopes": []map[string]string{
		{"value": "read:stock"}, {"value": "write:stock"}, {"value": "audit:stock"}}}); r.status != 200 {
		t.Fatalf("add a scope to the API: %d %s", r.status, r.body)
	}
	waitFor(t, 5*time.Second, "the token to carry the scope added to the API", func() bool {
		return scopeOf() == "read:stock write:stock audit:stock"
	})

	if r := in.api("PATCH", "client-grants/"+grantID, map[string]any{"allow_all_scopes": false, "scope": []string{"read:stock"}}); r.status != 200 {
		t.Fatalf("back to listed scopes: %d %s", r.status, r.body)
	}
	waitFor(t, 5*time.Second, "the token to carry the grant's own scopes", func() bool { return scopeOf() == "read:stock" })
}
