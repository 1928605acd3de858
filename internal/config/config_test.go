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

func TestHookEgressValidation(t *testing.T) {
	c := Default()
	c.HookEgressAllow = []string{"127.0.0.0/8", "api.internal.example"}
	c.HookEgressDeny = []string{"10.0.0.0/8"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := c.EgressPolicy()
	if err != nil || p == nil {
		t.Fatalf("EgressPolicy: %v", err)
	}
	for _, bad := range [][2][]string{{{"10.0.0.0/40"}, nil}, {nil, {"not a host!"}}} {
		c := Default()
		c.HookEgressAllow, c.HookEgressDeny = bad[0], bad[1]
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--hook-egress-") {
			t.Errorf("allow %q deny %q: err = %v", bad[0], bad[1], err)
		}
	}
}
