package e2e

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestDevQuickstart is the README's first command: --dev prints a curl
// command whose request gets a token that verifies like any resource
// server would verify it.
func TestDevQuickstart(t *testing.T) {
	in := start(t, options{args: []string{"--dev"}, noAdmin: true})
	out := in.output()
	if !strings.Contains(out, "TOKENHOOK_ADMIN_CLIENT_SECRET=") {
		t.Fatalf("first start did not print the generated management credentials:\n%s", out)
	}
	id, secret, audience := devCredentials(t, out)
	r := in.tokenJSON(map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": audience})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	body := r.json(t)
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(86400) || body["scope"] != "read:data" {
		t.Fatalf("response %s", r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Fatalf("caching headers %v", r.header)
	}
	verifyAccessToken(t, in, body["access_token"].(string), audience)
}

// verifyAccessToken checks a token with go-oidc through discovery and the
// JWKS, then checks Auth0's claims.
func verifyAccessToken(t *testing.T, in *instance, raw, audience string) map[string]any {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), in.client)
	provider, err := oidc.NewProvider(ctx, in.base)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	v := provider.Verifier(&oidc.Config{ClientID: audience, SupportedSigningAlgs: []string{"RS256"}})
	if _, err := v.Verify(ctx, raw); err != nil {
		t.Fatalf("verify: %v", err)
	}
	c := claims(t, raw)
	for _, k := range []string{"iss", "sub", "aud", "iat", "exp", "scope", "gty", "azp"} {
		if _, ok := c[k]; !ok {
			t.Fatalf("claim %q missing: %v", k, c)
		}
	}
	if c["iss"] != in.base || c["gty"] != "client-credentials" || c["sub"] != c["azp"].(string)+"@clients" {
		t.Fatalf("claims %v", c)
	}
	if c["exp"].(float64)-c["iat"].(float64) <= 0 {
		t.Fatalf("exp before iat: %v", c)
	}
	return c
}

// TestRealOAuth2Client uses golang.org/x/oauth2 unmodified, with both
// client authentication methods.
func TestRealOAuth2Client(t *testing.T) {
	in := start(t, options{})
	id, secret := in.m2m("https://orders.example/", []string{"read:orders", "write:orders"}, []string{"read:orders", "write:orders"}, nil)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: in.base + "oauth/token",
			EndpointParams: url.Values{"audience": {"https://orders.example/"}}, AuthStyle: style, Scopes: []string{"read:orders"}}
		tok, err := cfg.Token(context.Background())
		if err != nil {
			t.Fatalf("style %v: %v", style, err)
		}
		c := verifyAccessToken(t, in, tok.AccessToken, "https://orders.example/")
		if c["scope"] != "read:orders" {
			t.Fatalf("requested scope narrows the grant: got %v", c["scope"])
		}
		if tok.Expiry.Before(time.Now().Add(23 * time.Hour)) {
			t.Fatalf("expiry %v", tok.Expiry)
		}
	}
}

// TestBadInput: malformed bodies get OAuth errors, never a 5xx.
func TestBadInput(t *testing.T) {
	in := start(t, options{})
	cases := []struct {
		name, ct string
		body     []byte
		status   int
	}{
		{"malformed JSON", "application/json", []byte(`{"grant_type":`), 400},
		{"JSON array", "application/json", []byte(`["client_credentials"]`), 400},
		{"non-string JSON value", "application/json", []byte(`{"grant_type":"client_credentials","audience":42}`), 400},
		{"wrong content type", "text/plain", []byte("grant_type=client_credentials"), 400},
		{"no content type", "", []byte("grant_type=client_credentials"), 400},
		{"bad content type", "%%%", []byte("x"), 400},
		{"malformed form", "application/x-www-form-urlencoded", []byte("grant_type=%zz"), 400},
		{"repeated parameter", "application/x-www-form-urlencoded", []byte("grant_type=client_credentials&grant_type=password"), 400},
		{"repeated JSON key", "application/json", []byte(`{"grant_type":"client_credentials","client_id":"a","client_id":"b"}`), 400},
		{"oversize body", "application/x-www-form-urlencoded", append([]byte("grant_type=client_credentials&x="), bytes.Repeat([]byte("a"), 70<<10)...), 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := in.do("POST", "oauth/token", c.ct, bytes.NewReader(c.body), nil)
			body := r.json(t)
			if r.status != c.status || body["error"] != "invalid_request" || body["error_description"] == "" {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	r := in.do("GET", "oauth/token", "", nil, nil)
	if r.status != 405 || r.json(t)["error"] != "invalid_request" {
		t.Fatalf("GET /oauth/token: %d %s", r.status, r.body)
	}
}

// TestRestartAndRotation: tokens keep verifying across a restart on the
// same data directory and across a key rotation; the generated admin
// credentials are printed only once; nothing secret is stored in plain text.
func TestRestartAndRotation(t *testing.T) {
	dir := t.TempDir()
	in := start(t, options{dataDir: dir, args: []string{"--dev"}, noAdmin: true})
	out := in.output()
	id, secret, audience := devCredentials(t, out)
	tok := in.tokenJSON(map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": audience}).json(t)["access_token"].(string)
	in.stop()

	in2 := start(t, options{dataDir: dir, addr: in.addr, args: []string{"--dev"}, noAdmin: true})
	if strings.Contains(in2.output(), "TOKENHOOK_ADMIN_CLIENT_SECRET=") {
		t.Fatal("the generated management credentials were printed again on restart")
	}
	if strings.Contains(in2.output(), secret) || !strings.Contains(in2.output(), id) {
		t.Fatalf("restart must name the demo application without its secret:\n%s", in2.output())
	}
	verifyAccessToken(t, in2, tok, audience)

	// Rotate with the management credentials printed on first start.
	adminIDv := between(out, "TOKENHOOK_ADMIN_CLIENT_ID=", "\n")
	adminSecretv := between(out, "TOKENHOOK_ADMIN_CLIENT_SECRET=", "\n")
	r := in2.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {adminIDv}, "client_secret": {adminSecretv}, "audience": {in2.base + "api/v2/"}})
	if r.status != 200 {
		t.Fatalf("generated admin credentials: %d %s", r.status, r.body)
	}
	admin := r.json(t)["access_token"].(string)
	before := currentKID(t, in2, admin)
	if r := in2.apiWith(admin, "POST", "keys/signing/rotate", nil); r.status != 201 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	after := currentKID(t, in2, admin)
	if before == after {
		t.Fatal("rotation did not change the current key")
	}
	verifyAccessToken(t, in2, tok, audience)
	fresh := in2.tokenJSON(map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": audience}).json(t)["access_token"].(string)
	verifyAccessToken(t, in2, fresh, audience)
	in2.stop()

	// No secret in plain text anywhere under the data directory.
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for _, s := range []string{secret, adminSecretv, "PRIVATE KEY"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains a secret in plain text (%q...)", path, s[:8])
			}
		}
		return nil
	})
	if info, err := os.Stat(filepath.Join(dir, "master.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", info, err)
	}
}

func currentKID(t *testing.T, in *instance, admin string) string {
	t.Helper()
	r := in.apiWith(admin, "GET", "keys/signing", nil)
	if r.status != 200 {
		t.Fatalf("keys: %d %s", r.status, r.body)
	}
	for _, k := range r.list(t) {
		if k["current"] == true {
			return k["kid"].(string)
		}
	}
	t.Fatalf("no current key: %s", r.body)
	return ""
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}
