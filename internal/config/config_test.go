package config

import (
	"strings"
	"testing"
)

func TestSignerValidation(t *testing.T) {
	if got := Default().Signer; got != "auto" {
		t.Fatalf("default signer %q, want auto", got)
	}
	for _, ok := range []string{"go", "openssl", "auto"} {
		c := Default()
		c.Signer = ok
		if err := c.Validate(); err != nil {
			t.Errorf("--signer %s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "OpenSSL", "boringssl"} {
		c := Default()
		c.Signer = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--signer") {
			t.Errorf("--signer %q: err = %v", bad, err)
		}
	}
}
