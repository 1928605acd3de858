package mgmt_test

import (
	"strings"
	"testing"
)

// Every API gets a signing_secret on create (Auth0 does), signing_alg takes
// Auth0's three values, and a chosen secret must be a usable HS256 key.
func TestResourceServerSigningAlg(t *testing.T) {
	e := newEnv(t)
	const all = "create:resource_servers read:resource_servers update:resource_servers"
	r := e.req("POST", "/resource-servers", all, `{"identifier":"https://hs.test/","signing_alg":"HS256"}`)
	expect(t, r, 201, "", "")
	rs := r.json(t)
	secret, _ := rs["signing_secret"].(string)
	if rs["signing_alg"] != "HS256" || len(secret) < 32 {
		t.Fatalf("HS256 API: %s", r.body)
	}
	other := e.req("POST", "/resource-servers", all, `{"identifier":"https://rs.test/"}`).json(t)
	if s, _ := other["signing_secret"].(string); len(s) < 32 || s == secret {
		t.Fatalf("RS256 API secret %q (HS256 API's %q): each API needs its own", s, secret)
	}
	id := rs["id"].(string)

	r = e.req("PATCH", "/resource-servers/"+id, all, `{"signing_alg":"PS256"}`)
	expect(t, r, 200, "", "")
	if got := r.json(t); got["signing_alg"] != "PS256" || got["signing_secret"] != secret {
		t.Fatalf("PATCH PS256: %s", r.body)
	}
	chosen := strings.Repeat("s", 32)
	r = e.req("PATCH", "/resource-servers/"+id, all, `{"signing_alg":"HS256","signing_secret":"`+chosen+`"}`)
	expect(t, r, 200, "", "")
	if got := e.req("GET", "/resource-servers/"+id, all, nil).json(t); got["signing_secret"] != chosen || got["signing_alg"] != "HS256" {
		t.Fatalf("GET after PATCH: %v", got)
	}
	for _, body := range []string{`{"signing_alg":"ES256"}`, `{"signing_alg":"EdDSA"}`, `{"signing_secret":"short"}`} {
		expect(t, e.req("PATCH", "/resource-servers/"+id, all, body), 400, "invalid_body", "")
	}
}
