package openssl

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// These tests run in every build: NewOpaque and SelfTest work with any RSA
// crypto.Signer, so crypto/rsa's own *rsa.PrivateKey exercises them here
// and openssl_test.go repeats the go-jose test with OpenSSL's signer.

// signJWS signs payload through go-jose with the opaque signer, the way
// internal/keys would, and returns the compact serialization.
func signJWS(t *testing.T, alg jose.SignatureAlgorithm, kid string, s crypto.Signer, payload []byte) string {
	t.Helper()
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: NewOpaque(kid, s)}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("jose.NewSigner: %v", err)
	}
	obj, err := js.Sign(payload)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatalf("CompactSerialize: %v", err)
	}
	return out
}

// checkJWS verifies compact with pub and checks its protected header.
func checkJWS(t *testing.T, compact string, alg jose.SignatureAlgorithm, kid string, pub *rsa.PublicKey, payload []byte) {
	t.Helper()
	parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("ParseSigned: %v", err)
	}
	got, err := parsed.Verify(pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if string(got) != string(payload) {
		t.Fatalf("payload = %q, want %q", got, payload)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.SplitN(compact, ".", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr map[string]any
	if err := json.Unmarshal(raw, &hdr); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"alg": string(alg), "kid": kid, "typ": "JWT"}
	if len(hdr) != len(want) {
		t.Fatalf("header = %v, want exactly %v", hdr, want)
	}
	for k, v := range want {
		if hdr[k] != v {
			t.Fatalf("header[%q] = %v, want %v (header %v)", k, hdr[k], v, hdr)
		}
	}
}

func TestOpaqueWithGoSigner(t *testing.T) {
	key := testKeys(t)[0]
	payload := []byte(`{"iss":"https://tenant.example/","sub":"client@clients"}`)
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.PS256} {
		t.Run(string(alg), func(t *testing.T) {
			compact := signJWS(t, alg, "kid-1", key, payload)
			checkJWS(t, compact, alg, "kid-1", &key.PublicKey, payload)
		})
	}
}

// TestOpaqueMatchesJSONWebKeySigner pins that switching internal/keys from
// jose.JSONWebKey{Key: rsaKey, KeyID: kid} to NewOpaque changes nothing on
// the wire: RS256 is deterministic, so the tokens are byte-identical.
func TestOpaqueMatchesJSONWebKeySigner(t *testing.T) {
	key := testKeys(t)[0]
	payload := []byte(`{"aud":"https://api.example/","exp":1900000000}`)
	js, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "kid-1"}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := js.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := obj.CompactSerialize()
	if got := signJWS(t, jose.RS256, "kid-1", key, payload); got != want {
		t.Fatalf("opaque JWS differs from JSONWebKey JWS:\n got %s\nwant %s", got, want)
	}
}

func TestOpaqueRejects(t *testing.T) {
	key := testKeys(t)[0]
	o := NewOpaque("kid-1", key)
	if _, err := o.SignPayload([]byte("x"), jose.RS384); err == nil {
		t.Fatal("SignPayload(RS384) succeeded, want an error")
	}
	if _, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: o}, nil); err == nil {
		t.Fatal("jose.NewSigner accepted ES256 for an RSA opaque signer")
	}
	// Public hands out copies: a caller's change must not leak into tokens.
	o.Public().KeyID = "changed"
	if got := o.Public().KeyID; got != "kid-1" {
		t.Fatalf("KeyID after a caller's change = %q, want kid-1", got)
	}
}

func TestSelfTestWithGoSigner(t *testing.T) {
	ks := testKeys(t)
	tests := []struct {
		name    string
		signer  crypto.Signer
		key     *rsa.PrivateKey
		wantErr string
	}{
		{"same key", ks[0], ks[0], ""},
		{"other key", ks[0], ks[1], "public key does not match"},
		{"lies about its public key", lyingSigner{Signer: ks[1], pub: copyPublic(ks[0])}, ks[0], "differs from crypto/rsa"},
		{"nil signer", nil, ks[0], "nil signer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SelfTest(tt.signer, tt.key)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("SelfTest: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("SelfTest error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
