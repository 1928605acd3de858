package noderun

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindUnavailable(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "node16")
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho v16.20.2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "--node"},
		{old, "v16.20.2; hooks need Node.js 18 or later"},
	} {
		_, err := Find(tc.path)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Find(%s) = %v, want ErrUnavailable mentioning %q", tc.path, err, tc.want)
		}
		if _, err := New(Options{Node: tc.path}); !errors.Is(err, ErrUnavailable) {
			t.Errorf("New(%s) = %v", tc.path, err)
		}
	}
	t.Setenv("PATH", dir)
	if _, err := Find(""); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no `node` on PATH") {
		t.Errorf("empty PATH: %v", err)
	}
}

func TestPermissionFlags(t *testing.T) {
	for major, want := range map[int]string{18: "", 19: "", 20: "--experimental-permission", 21: "--experimental-permission", 22: "--permission", 24: "--permission"} {
		if got := (Node{Major: major}).permissionFlag(); got != want {
			t.Errorf("Node %d: %q, want %q", major, got, want)
		}
	}
}

func TestStripVersionInRunner(t *testing.T) {
	// The inline pin parsing lives in runner.js; pin the cases it must
	// cover by running it when Node is here.
	e := newEngine(t, Options{})
	out := mustRun(t, e, sandboxInv(`module.exports = (a, cb) => {
		const cases = ['lodash@4.17.21', '@scope/pkg@1.2.3', '@scope/pkg@1.2.3/sub/path', 'lodash@^4/fp', 'lodash', './local@x', 'crypto'];
		cb(null, cases.map((c) => { try { require(c); return 'loaded'; } catch (e) { return (e.message.match(/'([^']+)'/) || [])[1]; } }));
	};`))
	want := `["lodash","@scope/pkg","@scope/pkg/sub/path","lodash/fp","lodash","./local@x","loaded"]`
	if string(out.Response) != want {
		t.Fatalf("got %s, want %s", out.Response, want)
	}
}
