//go:build nolibcrypto || !linux || !(amd64 || arm64)

package openssl

import (
	"errors"
	"testing"
)

// In a build without the openssl tag the package must refuse cleanly, so
// the caller falls back to crypto/rsa.
func TestNotBuilt(t *testing.T) {
	if err := Load(); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Load() = %v, want ErrNotBuilt", err)
	}
	if _, err := NewSigner(testKeys(t)[0]); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("NewSigner error = %v, want ErrNotBuilt", err)
	}
	if v := Version(); v != "" {
		t.Fatalf("Version() = %q, want empty", v)
	}
}
