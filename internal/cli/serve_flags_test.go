package cli

import (
	"reflect"
	"testing"
)

// TestEgressFlagsFromEnv: the egress lists take comma-separated values from
// TOKENHOOK_HOOK_EGRESS_* like every other flag, and the command line wins.
func TestEgressFlagsFromEnv(t *testing.T) {
	t.Setenv("TOKENHOOK_HOOK_EGRESS_ALLOW", "127.0.0.0/8,api.example.com")
	t.Setenv("TOKENHOOK_HOOK_EGRESS_DENY", "127.0.0.9")
	cmd := newServeCommand()
	if err := cmd.Flags().Parse([]string{"--hook-egress-deny", "10.0.0.0/8", "--hook-egress-deny", "example.org"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	allow, _ := cmd.Flags().GetStringSlice("hook-egress-allow")
	deny, _ := cmd.Flags().GetStringSlice("hook-egress-deny")
	if !reflect.DeepEqual(allow, []string{"127.0.0.0/8", "api.example.com"}) || !reflect.DeepEqual(deny, []string{"10.0.0.0/8", "example.org"}) {
		t.Fatalf("allow %q deny %q", allow, deny)
	}
}
