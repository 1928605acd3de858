package mgmt_test

import (
	"strings"
	"testing"
)

// Every API gets a signing_secret on create (Auth0 does), signing_alg takes
// Auth0's three values plus ES256 and EdDSA, and a chosen secret must be a
// usable HS256 key.
func TestResourceServerSigningAlg(t *testing.T) {
	t.Parallel()
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
	for _, body := range []string{`{"signing_alg":"ES384"}`, `{"signing_alg":"none"}`, `{"signing_secret":"short"}`} {
		expect(t, e.req("PATCH", "/resource-servers/"+id, all, body), 400, "invalid_body", "")
	}
	if n := len(e.req("GET", "/keys/signing", "read:signing_keys", nil).list(t)); n != 2 {
		t.Fatalf("%d keys after refused PATCHes, want the RSA pair only", n)
	}
}

// ES256 and EdDSA (beyond Auth0) are accepted on create and PATCH, and
// each makes its key pair (current and next) the first time it is chosen;
// choosing it again makes no more keys.
func TestResourceServerCurveAlgs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const all = "create:resource_servers read:resource_servers update:resource_servers"
	keyCount := func() int { return len(e.req("GET", "/keys/signing", "read:signing_keys", nil).list(t)) }
	// families counts the listed keys by their alg.
	families := func() map[string]int {
		out := map[string]int{}
		for _, k := range e.req("GET", "/keys/signing", "read:signing_keys", nil).list(t) {
			out[k["alg"].(string)]++
		}
		return out
	}
	if n := keyCount(); n != 2 {
		t.Fatalf("%d keys at start", n)
	}
	r := e.req("POST", "/resource-servers", all, `{"identifier":"https://es.test/","signing_alg":"ES256"}`)
	expect(t, r, 201, "", "")
	if alg := r.json(t)["signing_alg"]; alg != "ES256" {
		t.Fatalf("signing_alg %v", alg)
	}
	if n := keyCount(); n != 4 {
		t.Fatalf("%d keys after an ES256 API, want 4", n)
	}
	e.req("POST", "/resource-servers", all, `{"identifier":"https://es2.test/","signing_alg":"ES256"}`)
	if n := keyCount(); n != 4 {
		t.Fatalf("%d keys after a second ES256 API, want still 4", n)
	}
	id := e.req("POST", "/resource-servers", all, `{"identifier":"https://ed.test/"}`).json(t)["id"].(string)
	r = e.req("PATCH", "/resource-servers/"+id, all, `{"signing_alg":"EdDSA"}`)
	expect(t, r, 200, "", "")
	if alg := r.json(t)["signing_alg"]; alg != "EdDSA" {
		t.Fatalf("signing_alg %v", alg)
	}
	if n := keyCount(); n != 6 {
		t.Fatalf("%d keys after an EdDSA API, want 6", n)
	}
	// Rotation rotates every family: each gains a next key.
	expect(t, e.req("POST", "/keys/signing/rotate", "create:signing_keys", nil), 201, "", "")
	if n := keyCount(); n != 9 {
		t.Fatalf("%d keys after rotation, want 9", n)
	}
	if f := families(); f["RS256"] != 3 || f["ES256"] != 3 || f["EdDSA"] != 3 || len(f) != 3 {
		t.Fatalf("key families after rotation = %v, want 3 each of RS256, ES256, EdDSA", f)
	}
}
