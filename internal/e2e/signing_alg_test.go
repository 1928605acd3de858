package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// An API's signing_alg picks how its access tokens are signed: PS256 with
// the tenant's key from the JWKS, HS256 with the API's signing_secret,
// which the JWKS never shows. Verified with go-jose, as a resource server
// would.
func TestSigningAlgPerAPI(t *testing.T) {
	in := start(t, options{})
	var jwks jose.JSONWebKeySet
	r := in.do("GET", ".well-known/jwks.json", "", nil, nil)
	if err := json.Unmarshal(r.body, &jwks); err != nil {
		t.Fatal(err)
	}

	for _, alg := range []string{"RS256", "PS256", "HS256"} {
		aud := "https://" + strings.ToLower(alg) + ".example/"
		id, secret := in.m2m(aud, []string{"read"}, []string{"read"}, nil)
		r := in.api("PATCH", "resource-servers/"+url.PathEscape(aud), map[string]any{"signing_alg": alg})
		if r.status != 200 {
			t.Fatalf("%s: PATCH: %d %s", alg, r.status, r.body)
		}
		apiSecret, _ := r.json(t)["signing_secret"].(string)
		if strings.Contains(string(in.do("GET", ".well-known/jwks.json", "", nil, nil).body), apiSecret) {
			t.Fatalf("%s: the JWKS shows the API's signing_secret", alg)
		}
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {aud}}
		var raw string
		var tok *jose.JSONWebSignature
		// The catalog picks up the PATCH within moments.
		waitFor(t, 10*time.Second, alg+" token", func() bool {
			r := in.tokenForm(form)
			if r.status != 200 {
				t.Fatalf("%s: token: %d %s", alg, r.status, r.body)
			}
			raw = r.json(t)["access_token"].(string)
			var err error
			tok, err = jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.HS256})
			if err != nil {
				t.Fatalf("%s: parse: %v", alg, err)
			}
			return tok.Signatures[0].Header.Algorithm == alg
		})
		h := tok.Signatures[0].Header
		var payload []byte
		var err error
		if alg == "HS256" {
			if h.KeyID != "" {
				t.Errorf("HS256 header names a kid %q", h.KeyID)
			}
			payload, err = tok.Verify([]byte(apiSecret))
			for _, k := range jwks.Keys {
				if _, err := tok.Verify(k.Key); err == nil {
					t.Errorf("HS256 token verifies with a published key")
				}
			}
		} else {
			keys := jwks.Key(h.KeyID)
			if len(keys) != 1 {
				t.Fatalf("%s: kid %q not in the JWKS", alg, h.KeyID)
			}
			payload, err = tok.Verify(keys[0].Key)
		}
		if err != nil {
			t.Fatalf("%s: verify: %v", alg, err)
		}
		var c map[string]any
		_ = json.Unmarshal(payload, &c)
		if c["aud"] != aud || c["azp"] != id {
			t.Fatalf("%s: claims %v", alg, c)
		}
	}
}

// A password login for an HS256 API: the access token is HS256 and does
// not name /userinfo (which verifies with published keys only), while the
// ID token keeps the tenant's RS256.
func TestSigningAlgPasswordGrant(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, _ := in.passwordApps()
	in.ann()
	if r := in.api("PATCH", "resource-servers/"+url.PathEscape(usersAPI), map[string]any{"signing_alg": "HS256"}); r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	var body map[string]any
	waitFor(t, 10*time.Second, "HS256 access token", func() bool {
		body = pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", "openid"), 200, "login")
		tok, err := jose.ParseSigned(body["access_token"].(string), []jose.SignatureAlgorithm{jose.RS256, jose.HS256})
		return err == nil && tok.Signatures[0].Header.Algorithm == "HS256"
	})
	if aud := claims(t, body["access_token"].(string))["aud"]; aud != usersAPI {
		t.Fatalf("HS256 access token aud %v, want only the API", aud)
	}
	id, err := jose.ParseSigned(body["id_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || id.Signatures[0].Header.KeyID == "" {
		t.Fatalf("id token is not RS256 with a kid: %v", err)
	}
}
