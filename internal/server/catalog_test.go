package server_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// catalogMetric reads one of the catalog cache's counters from /metrics.
func catalogMetric(t *testing.T, s *servertest.Server, name string) int64 {
	t.Helper()
	r := s.Do("GET", "metrics", "", nil, nil)
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return int64(f)
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

func headerKID(t *testing.T, jwt string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h["kid"].(string)
}

// TestCatalogFollowsEveryKindOfWrite: each create, update and delete of a
// client, API, grant, hook, key and setting made through /api/v2 is what
// the very next token request sees, and none of them rebuilds the catalog
// whole: each is applied on its own.
func TestCatalogFollowsEveryKindOfWrite(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	const aud = "https://catalog.example/"
	rebuilds := catalogMetric(t, s, "tokenhook_catalog_rebuilds_total")

	api := s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": aud, "name": "Cat",
		"scopes": []map[string]string{{"value": "read"}, {"value": "write"}}})
	c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "m2m", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {aud}}
	token := func(want int) map[string]any {
		t.Helper()
		r := s.Token(cc)
		if r.Status != want {
			t.Fatalf("token: %d, want %d: %s", r.Status, want, r.Body)
		}
		if want != 200 {
			return nil
		}
		return r.JSON(t)
	}
	claims := func() map[string]any {
		t.Helper()
		return servertest.Claims(t, token(200)["access_token"].(string))
	}
	token(403) // no grant yet

	// Grants: create, update, delete.
	g := s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": aud, "scope": []string{"read"}})
	if got := claims()["scope"]; got != "read" {
		t.Fatalf("scope after the grant: %v", got)
	}
	s.MustAPI(200, "PATCH", "client-grants/"+g["id"].(string), map[string]any{"scope": []string{"read", "write"}})
	if got := claims()["scope"]; got != "read write" {
		t.Fatalf("scope after the grant's update: %v", got)
	}
	s.MustAPI(204, "DELETE", "client-grants/"+g["id"].(string), nil)
	token(403)
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": aud, "scope": []string{"read"}})
	claims()

	// APIs: update, and delete (which takes the grant with it, so the
	// same identifier created again has no grant).
	s.MustAPI(200, "PATCH", "resource-servers/"+api["id"].(string), map[string]any{"token_lifetime": 600})
	if cl := claims(); cl["exp"].(float64)-cl["iat"].(float64) != 600 {
		t.Fatalf("lifetime after the API's update: %v", cl)
	}
	s.MustAPI(204, "DELETE", "resource-servers/"+api["id"].(string), nil)
	token(403)
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": aud, "name": "Cat again", "scopes": []map[string]string{{"value": "read"}}})
	token(403)
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": aud, "scope": []string{"read"}})
	claims()

	// Clients: update (metadata the hook reads, and its secret), delete.
	s.MustAPI(200, "PATCH", "clients/"+id, map[string]any{"client_metadata": map[string]string{"plan": "gold"}})
	// Hooks: create, update, disable, delete.
	h := s.MustAPI(201, "POST", "hooks", map[string]any{"name": "plan", "triggerId": "credentials-exchange", "enabled": true,
		"script": `module.exports = function (client, scope, audience, context, cb) { cb(null, {'https://example.com/plan': client.metadata.plan}); };`})
	if got := claims()["https://example.com/plan"]; got != "gold" {
		t.Fatalf("hook claim: %v", got)
	}
	s.MustAPI(200, "PATCH", "hooks/"+h["id"].(string), map[string]any{
		"script": `module.exports = function (client, scope, audience, context, cb) { cb(null, {'https://example.com/plan': 'v2'}); };`})
	if got := claims()["https://example.com/plan"]; got != "v2" {
		t.Fatalf("hook claim after the hook's update: %v", got)
	}
	s.MustAPI(200, "PATCH", "hooks/"+h["id"].(string), map[string]any{"enabled": false})
	if got := claims()["https://example.com/plan"]; got != nil {
		t.Fatalf("claim of a disabled hook: %v", got)
	}
	s.MustAPI(200, "PATCH", "hooks/"+h["id"].(string), map[string]any{"enabled": true})
	claims()
	s.MustAPI(204, "DELETE", "hooks/"+h["id"].(string), nil)
	if got := claims()["https://example.com/plan"]; got != nil {
		t.Fatalf("claim of a deleted hook: %v", got)
	}

	// Settings.
	s.MustAPI(200, "PATCH", "tenants/settings", map[string]any{"default_audience": aud})
	cc.Del("audience")
	if got := claims()["aud"]; got != aud {
		t.Fatalf("default audience: %v", got)
	}
	cc.Set("audience", aud)

	// Keys: a rotation signs the next token with the new key.
	before := headerKID(t, token(200)["access_token"].(string))
	s.MustAPI(201, "POST", "keys/signing/rotate", nil)
	if after := headerKID(t, token(200)["access_token"].(string)); after == before {
		t.Fatalf("still signing with %s after a rotation", before)
	}

	// The client's secret, then the client itself.
	r := s.MustAPI(200, "POST", "clients/"+id+"/rotate-secret", nil)
	token(401)
	cc.Set("client_secret", r["client_secret"].(string))
	claims()
	s.MustAPI(204, "DELETE", "clients/"+id, nil)
	token(401)

	if got := catalogMetric(t, s, "tokenhook_catalog_rebuilds_total"); got != rebuilds {
		t.Fatalf("%d whole rebuilds during single-record writes", got-rebuilds)
	}
}

// TestCatalogFailedWritesDoNotReload: a write that fails, and a write
// outside the catalog, cost the catalog nothing: no storage read at all.
// A successful catalog write does read (so the counter is live).
func TestCatalogFailedWritesDoNotReload(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "m2m", "app_type": "non_interactive"})
	id := c["client_id"].(string)
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": "https://f.example/", "name": "F"})
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": "https://f.example/", "scope": []string{}})
	reads := catalogMetric(t, s, "tokenhook_catalog_reads_total")

	s.MustAPI(400, "POST", "clients", map[string]any{"name": 7})
	s.MustAPI(404, "PATCH", "clients/no-such-client", map[string]any{"name": "x"})
	s.MustAPI(404, "DELETE", "resource-servers/no-such-api", nil)
	s.MustAPI(409, "POST", "client-grants", map[string]any{"client_id": id, "audience": "https://f.example/", "scope": []string{}})
	s.MustAPI(201, "POST", "users", map[string]any{"connection": "Username-Password-Authentication", "email": "u@example.com", "password": "a-long-enough-password"})
	if got := catalogMetric(t, s, "tokenhook_catalog_reads_total"); got != reads {
		t.Fatalf("failed and non-catalog writes made %d catalog reads", got-reads)
	}

	s.MustAPI(200, "PATCH", "clients/"+id, map[string]any{"name": "renamed"})
	if got := catalogMetric(t, s, "tokenhook_catalog_reads_total"); got == reads {
		t.Fatal("a successful client update read nothing: the counter is not live")
	}
}
