package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// ES256 and EdDSA keys: published with the right kty/crv/alg and an RFC
// 7638 kid, used for the API algs that ask for them, and rotated with the
// RSA key so tokens signed before a rotation keep verifying.
func TestCurveKeysJWKSAndRotation(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set, _, err := Ensure(nil, nil, t0, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 2 {
		t.Fatalf("new tenant: %d keys, want the RSA pair only", len(set))
	}
	for _, alg := range []string{AlgES256, AlgEdDSA} {
		var changed bool
		if set, changed, err = EnsureAlg(set, alg, nil, t0, "t"); err != nil || !changed {
			t.Fatalf("EnsureAlg %s: changed=%v err=%v", alg, changed, err)
		}
	}
	if _, changed, _ := EnsureAlg(set, AlgES256, nil, t0, "t"); changed || len(set) != 6 {
		t.Fatalf("EnsureAlg again: changed=%v, %d keys (want 6)", changed, len(set))
	}

	ks, err := NewSet(set, t0)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(ks.JWKS(), &raw); err != nil || len(raw.Keys) != 6 {
		t.Fatalf("jwks: %d keys, %v", len(raw.Keys), err)
	}
	want := map[string][2]string{"RS256": {"RSA", ""}, "ES256": {"EC", "P-256"}, "EdDSA": {"OKP", "Ed25519"}}
	seen := map[string]int{}
	for _, k := range raw.Keys {
		alg, _ := k["alg"].(string)
		w, ok := want[alg]
		if !ok || k["kty"] != w[0] || (w[1] != "" && k["crv"] != w[1]) || k["use"] != "sig" || k["d"] != nil {
			t.Fatalf("jwk %v", k)
		}
		seen[alg]++
	}
	if seen["RS256"] != 2 || seen["ES256"] != 2 || seen["EdDSA"] != 2 {
		t.Fatalf("families in the JWKS: %v", seen)
	}
	var doc jose.JSONWebKeySet
	if err := json.Unmarshal(ks.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.Keys {
		sum, err := k.Thumbprint(crypto.SHA256)
		if err != nil || base64.RawURLEncoding.EncodeToString(sum) != k.KeyID {
			t.Fatalf("%s kid %q is not its RFC 7638 thumbprint (%v)", k.Algorithm, k.KeyID, err)
		}
	}

	sign := func(ks *Set, alg string) (string, string) {
		t.Helper()
		sg, err := ks.SignerFor(alg)
		if err != nil {
			t.Fatalf("%s signer: %v", alg, err)
		}
		if sg.Alg != alg {
			t.Fatalf("signer alg %s, want %s", sg.Alg, alg)
		}
		jws, err := sg.Sign([]byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		return jws, sg.KID
	}
	verify := func(ks *Set, jws, alg string) error {
		tok, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if err != nil {
			return err
		}
		pub, ok := ks.PublicKey(tok.Signatures[0].Header.KeyID)
		if !ok {
			return jose.ErrCryptoFailure
		}
		_, err = tok.Verify(pub)
		return err
	}
	old := map[string]string{}
	oldKID := map[string]string{}
	for _, alg := range []string{AlgES256, AlgEdDSA} {
		jws, kid := sign(ks, alg)
		if err := verify(ks, jws, alg); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		pub, _ := ks.PublicKey(kid)
		switch pub.(type) {
		case *ecdsa.PublicKey:
			if alg != AlgES256 {
				t.Fatalf("%s signed with an EC key", alg)
			}
		case ed25519.PublicKey:
			if alg != AlgEdDSA {
				t.Fatalf("%s signed with an Ed25519 key", alg)
			}
		default:
			t.Fatalf("%s signed with %T", alg, pub)
		}
		old[alg], oldKID[alg] = jws, kid
	}

	t1 := t0.Add(time.Hour)
	set, err = Rotate(set, nil, t1, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 9 {
		t.Fatalf("after rotation: %d keys, want 9 (a new next key per family)", len(set))
	}
	after, err := NewSet(set, t1)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{AlgES256, AlgEdDSA} {
		if err := verify(after, old[alg], alg); err != nil {
			t.Fatalf("%s token from before the rotation: %v", alg, err)
		}
		jws, kid := sign(after, alg)
		if kid == oldKID[alg] {
			t.Fatalf("%s still signs with the rotated-out key", alg)
		}
		if err := verify(after, jws, alg); err != nil {
			t.Fatal(err)
		}
	}
	// Past the longest token lifetime the old keys leave the JWKS.
	later, err := NewSet(set, t1.Add(MaxTokenLifetime+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{AlgES256, AlgEdDSA} {
		if verify(later, old[alg], alg) == nil {
			t.Fatalf("%s key still published after its tokens expired", alg)
		}
	}
}

// A tenant without ES256 keys has no ES256 signer, rather than signing
// with another key.
func TestSignerForMissingFamily(t *testing.T) {
	ks, err := NewSet(testKeySet(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{AlgES256, AlgEdDSA, "HS256"} {
		if sg, err := ks.SignerFor(alg); err == nil {
			t.Fatalf("%s: got a %s signer", alg, sg.Alg)
		}
	}
	if sg, err := ks.SignerFor(""); err != nil || sg.Alg != "RS256" {
		t.Fatalf("default signer: %v %v", sg, err)
	}
}
