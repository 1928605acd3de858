//go:build !nolibcrypto && linux && (amd64 || arm64)

package openssl

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// needLibcrypto loads OpenSSL or skips the test, but only when the machine
// truly has no libcrypto.so.3: with the library installed, a Load failure
// is a bug and fails the test.
func needLibcrypto(t testing.TB) {
	t.Helper()
	err := Load()
	if err == nil {
		return
	}
	if !libcryptoInstalled() {
		t.Skipf("libcrypto.so.3 is not installed on this machine (apt-get install libssl3): %v", err)
	}
	t.Fatalf("libcrypto.so.3 is installed but Load failed: %v", err)
}

func libcryptoInstalled() bool {
	for _, p := range libraryCandidates {
		if filepath.IsAbs(p) {
			if _, err := os.Stat(p); err == nil {
				return true
			}
		}
	}
	out, err := exec.Command("ldconfig", "-p").Output()
	return err == nil && bytes.Contains(out, []byte("libcrypto.so.3"))
}

func newTestSigner(t testing.TB, key *rsa.PrivateKey) crypto.Signer {
	t.Helper()
	needLibcrypto(t)
	s, err := NewSigner(key)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func TestLoad(t *testing.T) {
	needLibcrypto(t)
	if v := Version(); !strings.HasPrefix(v, "OpenSSL 3.") {
		t.Fatalf("Version() = %q, want OpenSSL 3.x", v)
	}
}

// TestLoadFailures simulates machines without a usable libcrypto: the
// error must say what was tried and why it failed.
func TestLoadFailures(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"absent", []string{"/nonexistent/libcrypto.so.3"}, []string{"cannot load libcrypto.so.3", "not found: /nonexistent/libcrypto.so.3"}},
		{"not libcrypto", []string{"libc.so.6"}, []string{"libc.so.6", "missing symbol OpenSSL_version_num"}},
		{"nothing to try", nil, []string{"cannot load libcrypto.so.3"}},
		{"absent then libc", []string{"/nonexistent/libcrypto.so.3", "libc.so.6"}, []string{"/nonexistent/libcrypto.so.3", "missing symbol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := openLibrary(tt.paths)
			if err == nil {
				t.Fatalf("openLibrary(%q) = %+v, want an error", tt.paths, l)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestPKCS1v15MatchesGo: PKCS#1 v1.5 is deterministic (RFC 8017 §8.2.1), so
// OpenSSL's signature must equal crypto/rsa's byte for byte, on every key
// and message.
func TestPKCS1v15MatchesGo(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 20 // every key size still; make test signs all 200
	}
	msgs := testMessages(n)
	for i, key := range testKeys(t) {
		s := newTestSigner(t, key)
		for j, m := range msgs {
			d := sha256.Sum256(m)
			want, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
			if err != nil {
				t.Fatalf("key %d (%d bits) message %d: %v", i, key.N.BitLen(), j, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("key %d (%d bits) message %d: OpenSSL signature differs from crypto/rsa's", i, key.N.BitLen(), j)
			}
		}
	}
}

// TestPSS: PSS is randomised, so signatures cannot be compared; OpenSSL's
// must verify with crypto/rsa for the salt length asked for (and not for a
// tampered digest), and two signatures of one digest must differ.
func TestPSS(t *testing.T) {
	msgs := testMessages(20)
	for i, key := range testKeys(t) {
		s := newTestSigner(t, key)
		maxSalt := (key.N.BitLen()-1+7)/8 - 2 - 32
		tests := []struct {
			name       string
			sign       *rsa.PSSOptions
			verifySalt int
		}{
			{"equals hash (PS256)", &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}, 32},
			{"explicit 32", &rsa.PSSOptions{SaltLength: 32}, 32},
			{"auto is max, as crypto/rsa signs", &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}, maxSalt},
			{"explicit 20, unpooled", &rsa.PSSOptions{SaltLength: 20, Hash: crypto.SHA256}, 20},
		}
		for _, tt := range tests {
			for j, m := range msgs {
				d := sha256.Sum256(m)
				opts := *tt.sign
				if opts.Hash == 0 {
					opts.Hash = crypto.SHA256
				}
				sig1, err := s.Sign(rand.Reader, d[:], &opts)
				if err != nil {
					t.Fatalf("key %d %s message %d: %v", i, tt.name, j, err)
				}
				sig2, err := s.Sign(rand.Reader, d[:], &opts)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(sig1, sig2) {
					t.Fatalf("key %d %s: two PSS signatures are equal; the salt is not random", i, tt.name)
				}
				verify := &rsa.PSSOptions{SaltLength: tt.verifySalt, Hash: crypto.SHA256}
				for _, sig := range [][]byte{sig1, sig2} {
					if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, d[:], sig, verify); err != nil {
						t.Fatalf("key %d %s message %d: crypto/rsa rejects OpenSSL's PSS signature: %v", i, tt.name, j, err)
					}
				}
				bad := d
				bad[0] ^= 1
				if rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, bad[:], sig1, verify) == nil {
					t.Fatalf("key %d %s: signature verifies for another digest", i, tt.name)
				}
			}
		}
	}
}

func TestSignRejects(t *testing.T) {
	key := testKeys(t)[0]
	s := newTestSigner(t, key)
	d := sha256.Sum256([]byte("x"))
	tests := []struct {
		name   string
		digest []byte
		opts   crypto.SignerOpts
		want   string
	}{
		{"nil opts", d[:], nil, "needs opts"},
		{"SHA-384", make([]byte, 48), crypto.SHA384, "only SHA-256"},
		{"raw (no hash)", d[:], crypto.Hash(0), "only SHA-256"},
		{"short digest", d[:20], crypto.SHA256, "digest is 20 bytes"},
		{"PSS with SHA-512", make([]byte, 64), &rsa.PSSOptions{Hash: crypto.SHA512}, "only SHA-256"},
		{"PSS negative salt", d[:], &rsa.PSSOptions{SaltLength: -7, Hash: crypto.SHA256}, "invalid PSS salt length"},
		{"PSS salt too long", d[:], &rsa.PSSOptions{SaltLength: 1000, Hash: crypto.SHA256}, "invalid PSS salt length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Sign(rand.Reader, tt.digest, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Sign error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNewSignerRejects(t *testing.T) {
	needLibcrypto(t)
	if _, err := NewSigner(nil); err == nil {
		t.Fatal("NewSigner(nil) succeeded")
	}
	// OpenSSL's own error text must come through for a key it cannot parse.
	_, err := lib.loadKey([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	if err == nil || !strings.Contains(err.Error(), "d2i_PrivateKey failed: error:") {
		t.Fatalf("loadKey(garbage) error = %v, want OpenSSL's error text", err)
	}
}

func TestPublic(t *testing.T) {
	key := testKeys(t)[0]
	s := newTestSigner(t, key)
	pub, ok := s.Public().(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		t.Fatalf("Public() = %v, want the key's public key", s.Public())
	}
	pub.N.SetInt64(3) // a copy: the signer must not see this
	if !s.Public().(*rsa.PublicKey).Equal(&key.PublicKey) {
		t.Fatal("changing Public()'s result changed the signer")
	}
}

func TestSelfTestOpenSSL(t *testing.T) {
	ks := testKeys(t)
	s := newTestSigner(t, ks[0])
	if err := SelfTest(s, ks[0]); err != nil {
		t.Fatalf("SelfTest: %v", err)
	}
	if err := SelfTest(s, ks[1]); err == nil || !strings.Contains(err.Error(), "public key does not match") {
		t.Fatalf("SelfTest with another key = %v, want a mismatch", err)
	}
	liar := lyingSigner{Signer: newTestSigner(t, ks[1]), pub: copyPublic(ks[0])}
	if err := SelfTest(liar, ks[0]); err == nil || !strings.Contains(err.Error(), "differs from crypto/rsa") {
		t.Fatalf("SelfTest with a signer of another key = %v, want a signature mismatch", err)
	}
}

// TestConcurrentSign: many goroutines share one signer, mixing PKCS#1 v1.5
// and PSS so pooled contexts of both kinds change hands; run with -race.
func TestConcurrentSign(t *testing.T) {
	key := testKeys(t)[0]
	s := newTestSigner(t, key)
	msgs := testMessages(16)
	want := make([][]byte, len(msgs))
	for i, m := range msgs {
		d := sha256.Sum256(m)
		want[i], _ = rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
	}
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := (w + i) % len(msgs)
				d := sha256.Sum256(msgs[k])
				if i%3 == 2 {
					sig, err := s.Sign(rand.Reader, d[:], pss)
					if err != nil {
						errs <- err.Error()
					} else if rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, d[:], sig, pss) != nil {
						errs <- "PSS signature does not verify"
					}
					continue
				}
				sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
				if err != nil {
					errs <- err.Error()
				} else if !bytes.Equal(sig, want[k]) {
					errs <- "PKCS#1 v1.5 signature differs from crypto/rsa's"
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSignersAreFreed drops signers and their pooled contexts while another
// signer keeps working; a premature EVP_PKEY_free or EVP_PKEY_CTX_free
// would show as a crash or a wrong signature here.
func TestSignersAreFreed(t *testing.T) {
	ks := testKeys(t)
	keep := newTestSigner(t, ks[0])
	d := sha256.Sum256([]byte("keep"))
	want, _ := rsa.SignPKCS1v15(nil, ks[0], crypto.SHA256, d[:])
	for i := range 50 {
		s := newTestSigner(t, ks[1+i%3])
		if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		got, err := keep.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("round %d: kept signer broke after others were freed: %v", i, err)
		}
	}
}
