package openssl

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"
)

// testKeySizes are the moduli the equivalence tests cover: mostly Auth0's
// 2048 bits, plus the smallest size crypto/rsa accepts and a larger one.
var testKeySizes = []int{2048, 2048, 2048, 2048, 2048, 2048, 1024, 3072}

// shortKeySizes is what -short (make test-unit) generates: every size
// once, and the four keys TestSignersAreFreed takes. Generating the
// eight is most of this package's CPU; make test covers them all.
var shortKeySizes = []int{2048, 2048, 1024, 3072}

var (
	keysOnce sync.Once
	keys     []*rsa.PrivateKey
	keysErr  error
)

// testKeys generates the keys once per test binary: RSA key generation is
// the slow part of these tests (seconds under -race).
func testKeys(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		sizes := testKeySizes
		if testing.Short() {
			sizes = shortKeySizes
		}
		for _, bits := range sizes {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				keysErr = err
				return
			}
			keys = append(keys, k)
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

// testMessages returns n messages of varied length, the same ones on every
// run (a seeded generator: the test is hermetic and a failure reproduces).
func testMessages(n int) [][]byte {
	r := mrand.New(mrand.NewChaCha8([32]byte{'t', 'o', 'k', 'e', 'n', 'h', 'o', 'o', 'k'}))
	out := make([][]byte, n)
	for i := range out {
		m := make([]byte, r.IntN(1200))
		for j := range m {
			m[j] = byte(r.Uint32())
		}
		out[i] = m
	}
	return out
}

// lyingSigner claims pub as its public key but signs with another key, to
// prove SelfTest compares signatures and not only public keys.
type lyingSigner struct {
	crypto.Signer
	pub *rsa.PublicKey
}

func (l lyingSigner) Public() crypto.PublicKey { return l.pub }

// copyPublic returns a detached copy of k's public key.
func copyPublic(k *rsa.PrivateKey) *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).Set(k.N), E: k.E}
}
