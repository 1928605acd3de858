package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// ES256 and EdDSA APIs (beyond Auth0) get access tokens signed with the
// tenant's P-256 and Ed25519 keys, which the JWKS publishes with their own
// kid: go-jose verifies both from the JWKS and go-oidc verifies ES256
// through discovery, before and after a restart, and after a rotation the
// tokens signed before it still verify.
func TestCurveAlgsPerAPI(t *testing.T) {
	dir := t.TempDir()
	in := start(t, options{dataDir: dir})
	type api struct{ alg, aud, id, secret string }
	apis := []*api{{alg: "ES256", aud: "https://es256.example/"}, {alg: "EdDSA", aud: "https://eddsa.example/"}}
	for _, a := range apis {
		a.id, a.secret = in.m2m(a.aud, []string{"read"}, []string{"read"}, nil)
		if r := in.api("PATCH", "resource-servers/"+url.PathEscape(a.aud), map[string]any{"signing_alg": a.alg}); r.status != 200 {
			t.Fatalf("%s: PATCH: %d %s", a.alg, r.status, r.body)
		}
	}
	mint := func(in *instance, a *api) string {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {a.secret}, "audience": {a.aud}}
		var raw string
		// The catalog picks up the PATCH within moments.
		waitFor(t, 10*time.Second, a.alg+" token", func() bool {
			r := in.tokenForm(form)
			if r.status != 200 {
				t.Fatalf("%s: token: %d %s", a.alg, r.status, r.body)
			}
			raw = r.json(t)["access_token"].(string)
			tok, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
			if err != nil {
				t.Fatalf("%s: parse: %v", a.alg, err)
			}
			return tok.Signatures[0].Header.Algorithm == a.alg
		})
		return raw
	}
	// verify checks raw against the instance's JWKS with go-jose, and an
	// ES256 token minted by in also with go-oidc: a restarted instance
	// listens on another port, so its issuer differs from the old token's.
	verify := func(in *instance, a *api, raw string, mintedHere bool) {
		t.Helper()
		var jwks jose.JSONWebKeySet
		if err := json.Unmarshal(in.do("GET", ".well-known/jwks.json", "", nil, nil).body, &jwks); err != nil {
			t.Fatal(err)
		}
		tok, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(a.alg)})
		if err != nil {
			t.Fatalf("%s: parse: %v", a.alg, err)
		}
		h := tok.Signatures[0].Header
		keys := jwks.Key(h.KeyID)
		if len(keys) != 1 || keys[0].Algorithm != a.alg {
			t.Fatalf("%s: kid %q not in the JWKS as an %s key", a.alg, h.KeyID, a.alg)
		}
		payload, err := tok.Verify(keys[0].Key)
		if err != nil {
			t.Fatalf("%s: verify: %v", a.alg, err)
		}
		var c map[string]any
		_ = json.Unmarshal(payload, &c)
		if c["aud"] != a.aud || c["azp"] != a.id || (mintedHere && c["iss"] != in.base) {
			t.Fatalf("%s: claims %v", a.alg, c)
		}
		if a.alg == "ES256" && mintedHere {
			ctx := oidc.ClientContext(context.Background(), in.client)
			provider, err := oidc.NewProvider(ctx, in.base)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			v := provider.Verifier(&oidc.Config{ClientID: a.aud, SupportedSigningAlgs: []string{"ES256"}})
			if _, err := v.Verify(ctx, raw); err != nil {
				t.Fatalf("go-oidc ES256: %v", err)
			}
		}
	}
	before := map[string]string{}
	for _, a := range apis {
		before[a.alg] = mint(in, a)
		verify(in, a, before[a.alg], true)
	}

	in.stop()
	in = start(t, options{dataDir: dir})
	for _, a := range apis {
		verify(in, a, before[a.alg], false)
		verify(in, a, mint(in, a), true)
	}

	if r := in.api("POST", "keys/signing/rotate", nil); r.status != 201 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	for _, a := range apis {
		oldTok, _ := jose.ParseSigned(before[a.alg], []jose.SignatureAlgorithm{jose.SignatureAlgorithm(a.alg)})
		var fresh string
		waitFor(t, 10*time.Second, a.alg+" token with the rotated key", func() bool {
			fresh = mint(in, a)
			tok, _ := jose.ParseSigned(fresh, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(a.alg)})
			return tok.Signatures[0].Header.KeyID != oldTok.Signatures[0].Header.KeyID
		})
		verify(in, a, fresh, true)
		verify(in, a, before[a.alg], false)
	}
}

// A password login for an EdDSA or ES256 API: the access token carries
// that algorithm and still names /userinfo, which accepts it (it verifies
// with every published key), while the ID token stays RS256.
func TestCurveAlgPasswordUserinfo(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, _ := in.passwordApps()
	in.ann()
	for _, alg := range []string{"EdDSA", "ES256"} {
		if r := in.api("PATCH", "resource-servers/"+url.PathEscape(usersAPI), map[string]any{"signing_alg": alg}); r.status != 200 {
			t.Fatalf("PATCH %s: %d %s", alg, r.status, r.body)
		}
		var body map[string]any
		waitFor(t, 10*time.Second, alg+" access token", func() bool {
			body = pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", "openid"), 200, "login")
			tok, err := jose.ParseSigned(body["access_token"].(string), []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
			return err == nil && tok.Signatures[0].Header.Algorithm == alg
		})
		access := body["access_token"].(string)
		if aud := claims(t, access)["aud"]; !pwJSONEqual(aud, []any{usersAPI, in.base + "userinfo"}) {
			t.Fatalf("%s access token aud %v", alg, aud)
		}
		r := in.do("GET", "userinfo", "", nil, http.Header{"Authorization": {"Bearer " + access}})
		if got := pwStatus(t, r, 200, alg+" /userinfo"); got["sub"] == nil {
			t.Fatalf("%s /userinfo: %s", alg, r.body)
		}
		id, err := jose.ParseSigned(body["id_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil || id.Signatures[0].Header.KeyID == "" {
			t.Fatalf("%s: id token is not RS256 with a kid: %v", alg, err)
		}
	}
}
