package keys

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tokenhook/tokenhook/internal/keys/openssl"
	"github.com/tokenhook/tokenhook/internal/storage"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// testKeySet is a key set (an RSA current and next key) shared by the
// tests that only need some valid keys: RSA generation costs seconds of
// CPU per key on a loaded machine. Callers get their own slice.
func testKeySet(t *testing.T) []storage.SigningKey {
	t.Helper()
	return sharedKeySet(t, 0)
}

// otherKeySet is a second shared set, with keys none of testKeySet's.
func otherKeySet(t *testing.T) []storage.SigningKey {
	t.Helper()
	return sharedKeySet(t, 1)
}

var (
	sharedSetsMu sync.Mutex
	sharedSets   = map[int][]storage.SigningKey{}
)

func sharedKeySet(t *testing.T, n int) []storage.SigningKey {
	t.Helper()
	sharedSetsMu.Lock()
	defer sharedSetsMu.Unlock()
	set, ok := sharedSets[n]
	if !ok {
		set = freshKeySet(t)
		sharedSets[n] = set
	}
	return append([]storage.SigningKey(nil), set...)
}

// freshKeySet generates a new key set, for tests about the keys themselves.
func freshKeySet(t *testing.T) []storage.SigningKey {
	t.Helper()
	set, _, err := Ensure(nil, nil, t0, "default")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func signersWithLog(t *testing.T, mode string) (*Signers, *bytes.Buffer, error) {
	t.Helper()
	var buf bytes.Buffer
	s, err := NewSigners(mode, slog.New(slog.NewTextHandler(&buf, nil)))
	return s, &buf, err
}

// opensslState reports whether this test binary can use OpenSSL; it skips
// when the tag is built in but the machine has no libcrypto.so.3.
func opensslAvailable(t *testing.T) bool {
	t.Helper()
	err := openssl.Load()
	if err != nil && !errors.Is(err, openssl.ErrNotBuilt) {
		t.Skipf("openssl built in but not loadable here: %v", err)
	}
	return err == nil
}

func mint(t *testing.T, set *Set, payload string) string {
	t.Helper()
	sg, err := set.Signer()
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := sg.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}

func TestNewSignersRejectsUnknownMode(t *testing.T) {
	if _, err := NewSigners("boringssl", nil); err == nil {
		t.Fatal("NewSigners(boringssl) succeeded")
	}
}

func TestStartupChoice(t *testing.T) {
	have := opensslAvailable(t)

	s, logs, err := signersWithLog(t, BackendGo)
	if err != nil || s.OpenSSL() {
		t.Fatalf("go: OpenSSL()=%v err=%v", s.OpenSSL(), err)
	}
	if !strings.Contains(logs.String(), "signer=go") {
		t.Errorf("go: log %q lacks signer=go", logs)
	}

	s, logs, err = signersWithLog(t, BackendAuto)
	if err != nil {
		t.Fatal(err)
	}
	if s.OpenSSL() != have {
		t.Fatalf("auto: OpenSSL()=%v, library available=%v", s.OpenSSL(), have)
	}
	// The choice is logged once, when the first key is seen at the latest.
	ks := testKeySet(t)
	for range 3 {
		if _, err := NewSetWith(ks, t0, s); err != nil {
			t.Fatal(err)
		}
	}
	want := "signer=go"
	if have {
		want = "signer=openssl"
	}
	if n := strings.Count(logs.String(), "signer="); n != 1 || !strings.Contains(logs.String(), want) {
		t.Errorf("auto: log %q, want one %s line", logs, want)
	}
	if have && !strings.Contains(logs.String(), "version=") {
		t.Errorf("auto: log %q lacks the OpenSSL version", logs)
	}
	if !have && !strings.Contains(logs.String(), "reason=") {
		t.Errorf("auto: log %q lacks the reason", logs)
	}

	_, _, err = signersWithLog(t, BackendOpenSSL)
	if have && err != nil {
		t.Fatalf("openssl: %v", err)
	}
	if !have && !errors.Is(err, openssl.ErrNotBuilt) {
		t.Fatalf("openssl in a build without it: err = %v, want ErrNotBuilt", err)
	}
}

// brokenSigner claims key's public key but signs with another key, as a
// misbehaving library would; it counts its constructions.
type brokenSigner struct {
	pub   crypto.PublicKey
	other *rsa.PrivateKey
}

func (b brokenSigner) Public() crypto.PublicKey { return b.pub }
func (b brokenSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return b.other.Sign(r, d, o)
}

func forceBroken(t *testing.T, s *Signers, calls *atomic.Int32) {
	other, err := parsePrivate(otherKeySet(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	s.useOpenSSL = true
	s.newOpenSSL = func(k *rsa.PrivateKey) (crypto.Signer, error) {
		calls.Add(1)
		return brokenSigner{pub: k.Public(), other: other.(*rsa.PrivateKey)}, nil
	}
}

func TestAutoFallsBackWhenSelfTestFails(t *testing.T) {
	s, logs, err := signersWithLog(t, BackendAuto)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	forceBroken(t, s, &calls)
	ks := testKeySet(t)
	set, err := NewSetWith(ks, t0, s)
	if err != nil {
		t.Fatal(err)
	}
	want := mint(t, mustSet(t, ks), `{"sub":"x"}`)
	if got := mint(t, set, `{"sub":"x"}`); got != want {
		t.Fatalf("fallback token differs from crypto/rsa's:\n%s\n%s", got, want)
	}
	if !strings.Contains(logs.String(), "self-test") {
		t.Errorf("log %q does not report the failed self-test", logs)
	}
	// The failed key is not retried on every rebuild.
	if _, err := NewSetWith(ks, t0, s); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("OpenSSL signer built %d times, want 1", n)
	}
}

func TestOpenSSLModeFailsOnBadSelfTest(t *testing.T) {
	s, err := NewSigners(BackendGo, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.mode = BackendOpenSSL
	var calls atomic.Int32
	forceBroken(t, s, &calls)
	if _, err := NewSetWith(testKeySet(t), t0, s); err == nil || !strings.Contains(err.Error(), "self-test") {
		t.Fatalf("NewSetWith = %v, want a self-test error", err)
	}
}

func mustSet(t *testing.T, ks []storage.SigningKey) *Set {
	t.Helper()
	set, err := NewSet(ks, t0)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// The signer of a key is built once across rebuilds, and a key rotated out
// is forgotten.
func TestSignerCache(t *testing.T) {
	s, err := NewSigners(BackendAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	real := s.newOpenSSL
	s.useOpenSSL = true
	s.newOpenSSL = func(k *rsa.PrivateKey) (crypto.Signer, error) {
		calls.Add(1)
		if opensslLoaded() {
			return real(k)
		}
		return k, nil // no library here: exercise the cache with crypto/rsa
	}
	ks := testKeySet(t)
	a, _ := NewSetWith(ks, t0, s)
	b, _ := NewSetWith(ks, t0.Add(time.Minute), s)
	sa, _ := a.Signer()
	sb, _ := b.Signer()
	if sa != sb || calls.Load() != 1 {
		t.Fatalf("rebuild made a new signer (same=%v, built %d times)", sa == sb, calls.Load())
	}
	rotated, err := Rotate(ks, nil, t0.Add(2*time.Minute), "default")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewSetWith(rotated, t0.Add(2*time.Minute), s)
	sc, _ := c.Signer()
	if sc.KID == sa.KID || calls.Load() != 2 {
		t.Fatalf("rotation: kid %s (was %s), built %d times", sc.KID, sa.KID, calls.Load())
	}
	if len(s.cache) != 1 {
		t.Fatalf("cache holds %d signers after rotation, want 1", len(s.cache))
	}
}

func opensslLoaded() bool { return openssl.Load() == nil }

// Tokens are byte-identical whichever backend signs, and identical to
// what go-jose makes from the bare RSA key; they verify with go-jose.
func TestTokensByteIdenticalAcrossBackends(t *testing.T) {
	have := opensslAvailable(t)
	goS, _ := NewSigners(BackendGo, nil)
	// Several fresh keys, so a key whose encoding is unusual (a short
	// modulus byte, a leading zero) gets a chance to show; -short
	// (make test-unit) checks the shared one.
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	for i := range rounds {
		ks := testKeySet(t)
		if i > 0 {
			ks = freshKeySet(t)
		}
		gset, err := NewSetWith(ks, t0, goS)
		if err != nil {
			t.Fatal(err)
		}
		var oset *Set
		if have {
			osS, err := NewSigners(BackendOpenSSL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if oset, err = NewSetWith(ks, t0, osS); err != nil {
				t.Fatal(err)
			}
		}
		cur := ks[0]
		for _, k := range ks {
			if k.State == StateCurrent {
				cur = k
			}
		}
		priv, _ := parsePrivate(cur)
		ref, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: cur.KID}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range []string{`{}`, `{"iss":"https://h/","sub":"c@clients","aud":"https://api","scope":"read:x"}`, `{"long":"` + strings.Repeat("tokenhook ", 300) + `"}`} {
			jws, _ := ref.Sign([]byte(p))
			want, _ := jws.CompactSerialize()
			if got := mint(t, gset, p); got != want {
				t.Fatalf("go backend, payload %d: %s != %s", i, got, want)
			}
			if have {
				got := mint(t, oset, p)
				if got != want {
					t.Fatalf("openssl backend, payload %d: %s != %s", i, got, want)
				}
				parsed, err := jose.ParseSigned(got, []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					t.Fatal(err)
				}
				pub, _ := oset.PublicKey(cur.KID)
				if out, err := parsed.Verify(pub); err != nil || string(out) != p {
					t.Fatalf("openssl token does not verify: %v", err)
				}
			}
		}
	}
	if !have {
		t.Log("OpenSSL not built in: compared the Go backend with go-jose only (the static build, -tags nolibcrypto)")
	}
}

// PS256 comes from the same key and backend as RS256 and verifies with Go;
// HS256 needs a secret of at least 32 bytes and names no kid.
func TestPS256AndHS256(t *testing.T) {
	have := opensslAvailable(t)
	mode := BackendGo
	if have {
		mode = BackendOpenSSL
	}
	s, err := NewSigners(mode, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSetWith(testKeySet(t), t0, s)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := set.PSSigner()
	if err != nil || ps.Alg != "PS256" {
		t.Fatalf("PSSigner: %v %v", ps, err)
	}
	raw, err := ps.Sign([]byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil || tok.Signatures[0].Header.KeyID != ps.KID {
		t.Fatalf("%s: parse %v, kid %v", mode, err, tok)
	}
	pub, _ := set.PublicKey(ps.KID)
	if _, err := tok.Verify(pub); err != nil {
		t.Fatalf("%s: PS256 does not verify with crypto/rsa: %v", mode, err)
	}

	if _, err := NewHMACSigner([]byte(strings.Repeat("k", 31))); err == nil {
		t.Fatal("31-byte HS256 secret accepted")
	}
	secret := []byte(strings.Repeat("k", 32))
	hs, err := NewHMACSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = hs.Sign([]byte(`{"sub":"x"}`))
	tok, err = jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil || tok.Signatures[0].Header.KeyID != "" {
		t.Fatalf("HS256: %v, header %+v", err, tok)
	}
	if _, err := tok.Verify(secret); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Verify([]byte(strings.Repeat("x", 32))); err == nil {
		t.Fatal("HS256 token verifies with another secret")
	}
}
