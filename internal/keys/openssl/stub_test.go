//go:build nolibcrypto || !linux || !(amd64 || arm64)

package openssl

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
)

// In a build without the openssl tag the package must refuse cleanly, so
// the caller falls back to crypto/rsa.
func TestNotBuilt(t *testing.T) {
	if err := Load(); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Load() = %v, want ErrNotBuilt", err)
	}
	// One small key, not testKeys' eight: the stub refuses before it
	// looks at the key, and generating the set is most of this package's
	// test time.
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(key); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("NewSigner error = %v, want ErrNotBuilt", err)
	}
	if v := Version(); v != "" {
		t.Fatalf("Version() = %q, want empty", v)
	}
}
