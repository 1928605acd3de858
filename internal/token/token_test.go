package token_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// newKeys is a key set shared by the tests (RSA generation costs seconds
// of CPU on a loaded machine); each caller gets its own slice.
func newKeys(t *testing.T) []storage.SigningKey {
	t.Helper()
	return sharedKeys(t, 0)
}

// otherKeys is a second shared set, with none of newKeys' keys.
func otherKeys(t *testing.T) []storage.SigningKey {
	t.Helper()
	return sharedKeys(t, 1)
}

var (
	sharedMu   sync.Mutex
	sharedSets = map[int][]storage.SigningKey{}
)

func sharedKeys(t *testing.T, n int) []storage.SigningKey {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	set, ok := sharedSets[n]
	if !ok {
		var changed bool
		var err error
		set, changed, err = keys.Ensure(nil, nil, t0, "default")
		if err != nil || !changed {
			t.Fatalf("Ensure: %v %v", changed, err)
		}
		sharedSets[n] = set
	}
	return append([]storage.SigningKey(nil), set...)
}

func payload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	return m
}

func TestMintAndVerify(t *testing.T) {
	ks := newKeys(t)
	set, err := keys.NewSet(ks, t0)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := set.Signer()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		access token.Access
		want   map[string]any
	}{
		{"single audience", token.Access{
			Issuer: "https://h/", Subject: "abc@clients", Audience: []string{"https://api"}, ClientID: "abc",
			Scope: "read:data extra", GrantType: token.GrantTypeClientCredentials, IssuedAt: t0, Lifetime: time.Hour,
			Custom: map[string]json.RawMessage{"https://foo.com/claim": json.RawMessage(`"bar"`), "https://x.io/n": json.RawMessage(`[1, "two"]`)},
		}, map[string]any{
			"iss": "https://h/", "sub": "abc@clients", "aud": "https://api", "azp": "abc", "scope": "read:data extra",
			"gty": "client-credentials", "iat": float64(t0.Unix()), "exp": float64(t0.Add(time.Hour).Unix()),
			"https://foo.com/claim": "bar", "https://x.io/n": []any{1.0, "two"},
		}},
		{"array audience, empty scope, escaped strings", token.Access{
			Issuer: "https://h/", Subject: "auth0|\"q\"<x>", Audience: []string{"https://api", "https://h/userinfo"}, ClientID: "c",
			GrantType: token.GrantTypePassword, IssuedAt: t0, Lifetime: time.Minute,
		}, map[string]any{
			"iss": "https://h/", "sub": "auth0|\"q\"<x>", "aud": []any{"https://api", "https://h/userinfo"}, "azp": "c", "scope": "",
			"gty": "password", "iat": float64(t0.Unix()), "exp": float64(t0.Add(time.Minute).Unix()),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := token.MintAccess(signer, c.access)
			if err != nil {
				t.Fatal(err)
			}
			got := payload(t, raw)
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(c.want)
			if string(gb) != string(wb) {
				t.Fatalf("payload\n got %s\nwant %s", gb, wb)
			}
			v := &token.JWTVerifier{Issuer: "https://h/", Keys: func() *keys.Set { return set }, Now: func() time.Time { return t0.Add(time.Second) }}
			claims, err := v.Verify(raw, c.access.Audience[0])
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if claims.ClientID != c.access.ClientID || claims.Subject != c.access.Subject {
				t.Fatalf("claims %+v", claims)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	set, _ := keys.NewSet(newKeys(t), t0)
	signer, _ := set.Signer()
	good, err := token.MintAccess(signer, token.Access{Issuer: "https://h/", Subject: "s", Audience: []string{"https://api"},
		ClientID: "c", GrantType: token.GrantTypeClientCredentials, IssuedAt: t0, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := keys.NewSet(otherKeys(t), t0)
	parts := strings.Split(good, ".")
	cases := []struct {
		name, raw, aud string
		now            time.Time
		set            *keys.Set
	}{
		{"expired", good, "https://api", t0.Add(2 * time.Hour), set},
		{"wrong audience", good, "https://other", t0, set},
		{"unknown key", good, "https://api", t0, other},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://h/","aud":"https://api","exp":9999999999}`)) + "." + parts[2], "https://api", t0, set},
		{"garbage", "not-a-jwt", "https://api", t0, set},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", "https://api", t0, set},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := &token.JWTVerifier{Issuer: "https://h/", Keys: func() *keys.Set { return c.set }, Now: func() time.Time { return c.now }}
			if _, err := v.Verify(c.raw, c.aud); !errors.Is(err, token.ErrInvalid) {
				t.Fatalf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRotationKeepsOldTokensVerifying(t *testing.T) {
	ks := newKeys(t)
	set, _ := keys.NewSet(ks, t0)
	signer, _ := set.Signer()
	old, _ := token.MintAccess(signer, token.Access{Issuer: "https://h/", Subject: "s", Audience: []string{"https://api"},
		ClientID: "c", GrantType: token.GrantTypeClientCredentials, IssuedAt: t0, Lifetime: 24 * time.Hour})
	rotated, err := keys.Rotate(ks, nil, t0.Add(time.Minute), "default")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, k := range rotated {
		states[k.State]++
	}
	if states[keys.StateCurrent] != 1 || states[keys.StateNext] != 1 || states[keys.StatePrevious] != 1 {
		t.Fatalf("states after rotation: %v", states)
	}
	after, _ := keys.NewSet(rotated, t0.Add(2*time.Minute))
	newSigner, _ := after.Signer()
	if newSigner.KID == signer.KID {
		t.Fatal("rotation kept the same current key")
	}
	v := &token.JWTVerifier{Issuer: "https://h/", Keys: func() *keys.Set { return after }, Now: func() time.Time { return t0.Add(2 * time.Minute) }}
	if _, err := v.Verify(old, "https://api"); err != nil {
		t.Fatalf("token signed before rotation: %v", err)
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(after.JWKS(), &jwks); err != nil || len(jwks.Keys) != 3 {
		t.Fatalf("jwks keys = %d (%v), want 3", len(jwks.Keys), err)
	}
	for _, k := range jwks.Keys {
		if _, ok := k["d"]; ok {
			t.Fatal("JWKS publishes a private key")
		}
		if k["kty"] != "RSA" || k["use"] != "sig" || k["alg"] != "RS256" || k["x5c"] == nil {
			t.Fatalf("jwk %v", k)
		}
	}
	// Once the longest token lifetime has passed, the retired key leaves the JWKS.
	later, _ := keys.NewSet(rotated, t0.Add(time.Minute+keys.MaxTokenLifetime+time.Second))
	if err := json.Unmarshal(later.JWKS(), &jwks); err != nil || len(jwks.Keys) != 2 {
		t.Fatalf("jwks keys later = %d, want 2", len(jwks.Keys))
	}
}

func TestMintID(t *testing.T) {
	set, _ := keys.NewSet(newKeys(t), t0)
	signer, _ := set.Signer()
	p := token.Profile{Name: "Ann", Nickname: "ann", Picture: "https://p/ann.png", UpdatedAt: t0, Email: "ann@example.com", EmailVerified: true}
	cases := []struct {
		name           string
		profile, email bool
		custom         map[string]json.RawMessage
		want           map[string]any
	}{
		{"no profile scopes", false, false, nil, map[string]any{}},
		{"profile", true, false, nil, map[string]any{"name": "Ann", "nickname": "ann", "picture": "https://p/ann.png", "updated_at": "2026-11-28T10:00:00.000Z"}},
		{"email and a hook claim that may not shadow sub", false, true, map[string]json.RawMessage{"https://x.example/c": json.RawMessage(`1`), "sub": json.RawMessage(`"evil"`)},
			map[string]any{"email": "ann@example.com", "email_verified": true, "https://x.example/c": 1.0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := token.MintID(signer, token.ID{Issuer: "https://h/", Subject: "auth0|1", ClientID: "cid", IssuedAt: t0,
				User: p.Claims(c.profile, c.email), Custom: c.custom})
			if err != nil {
				t.Fatal(err)
			}
			got := payload(t, raw)
			want := map[string]any{"iss": "https://h/", "sub": "auth0|1", "aud": "cid", "iat": float64(t0.Unix()), "exp": float64(t0.Add(36000 * time.Second).Unix())}
			for k, v := range c.want {
				want[k] = v
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Fatalf("payload\n got %s\nwant %s", gb, wb)
			}
		})
	}
}
