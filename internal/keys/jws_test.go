package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestSignerMatchesGoJose: the hand-written compact JWS is what go-jose
// would have produced (byte for byte where the algorithm is deterministic)
// and go-jose verifies every algorithm's output.
func TestSignerMatchesGoJose(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte(strings.Repeat("s", MinHMACSecret))
	rs, err := newRSASigners("rsa-kid", rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	es, err := newKeySigner(AlgES256, "ec-kid", ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := newKeySigner(AlgEdDSA, "ed-kid", edKey)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := NewHMACSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"iss":"https://tenant.example/","sub":"client@clients","scope":"read:all","n":"\u00e9"}`)
	cases := []struct {
		s             *Signer
		signKey       any // go-jose's signing key, for the deterministic ones
		verify        any
		deterministic bool
	}{
		{rs.rs, jose.JSONWebKey{Key: rsaKey, KeyID: "rsa-kid"}, &rsaKey.PublicKey, true},
		{rs.ps, nil, &rsaKey.PublicKey, false},
		{es, nil, &ecKey.PublicKey, false},
		{ed, jose.JSONWebKey{Key: edKey, KeyID: "ed-kid"}, edKey.Public(), true},
		{hs, secret, secret, true},
	}
	for _, c := range cases {
		t.Run(c.s.Alg, func(t *testing.T) {
			got, err := c.s.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := jose.ParseSigned(got, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.s.Alg)})
			if err != nil {
				t.Fatal(err)
			}
			h := obj.Signatures[0].Protected
			if h.KeyID != c.s.KID || h.ExtraHeaders[jose.HeaderType] != "JWT" {
				t.Fatalf("header = %+v, want kid %q and typ JWT", h, c.s.KID)
			}
			out, err := obj.Verify(c.verify)
			if err != nil || string(out) != string(payload) {
				t.Fatalf("go-jose verify = %q, %v", out, err)
			}
			if !c.deterministic {
				return
			}
			js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(c.s.Alg), Key: c.signKey},
				(&jose.SignerOptions{}).WithType("JWT"))
			if err != nil {
				t.Fatal(err)
			}
			obj, err = js.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := obj.CompactSerialize()
			if got != want {
				t.Fatalf("JWS differs from go-jose's:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestSignerRejectsWrongKeys: a key of another family is refused when its
// signer is built, never at signing time.
func TestSignerRejectsWrongKeys(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []struct {
		alg  string
		priv crypto.Signer
	}{{AlgES256, ecKey}, {AlgES256, edKey}, {AlgEdDSA, ecKey}} {
		if _, err := newKeySigner(c.alg, "k", c.priv); err == nil {
			t.Errorf("%s signer over %T: no error", c.alg, c.priv)
		}
	}
	if _, err := newRSASigners("k", edKey); err == nil {
		t.Error("RSA signers over an Ed25519 key: no error")
	}
	if _, err := NewHMACSigner([]byte("short")); err == nil {
		t.Error("HS256 with a short secret: no error")
	}
}
