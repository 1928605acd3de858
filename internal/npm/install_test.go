package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// These tests run the real npm against the registry this machine's npm is
// configured for. Downloads go to one cache directory shared by every test
// run (npm's cache is content-addressed and safe to share), so only the
// first run fetches tarballs.
var testCache = filepath.Join(os.TempDir(), "tokenhook-test-npm-cache")

func needNPM(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: installs from the real npm registry run in make test")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
}

func newTestInstaller(t *testing.T, o Options) *Installer {
	t.Helper()
	needNPM(t)
	if o.Dir == "" {
		o.Dir = filepath.Join(t.TempDir(), "npm")
	}
	if o.Cache == "" {
		o.Cache = testCache
	}
	i, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// entries lists what the trees directory holds: trees and any leftovers.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Name())
	}
	return out
}

func installedVersion(t *testing.T, tree Tree, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tree.Dir, "node_modules", name, "package.json"))
	if err != nil {
		t.Fatalf("%s not installed: %v", name, err)
	}
	var m struct{ Version string }
	json.Unmarshal(b, &m)
	return m.Version
}

func TestInstallSharesTreesByResolvedSet(t *testing.T) {
	i := newTestInstaller(t, Options{})
	ctx := t.Context()
	a, err := i.Install(ctx, map[string]string{"lodash": "4.17.21", "is-number": "7.0.0"})
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if got := installedVersion(t, a, "lodash"); got != "4.17.21" {
		t.Fatalf("lodash %s installed", got)
	}
	if a.Resolved["is-number"] != "7.0.0" || a.Resolved["lodash"] != "4.17.21" {
		t.Fatalf("resolved %v", a.Resolved)
	}
	if a.Dir != filepath.Join(i.o.Dir, a.Hash) || len(a.Hash) != 64 {
		t.Fatalf("tree %q in %q", a.Hash, a.Dir)
	}
	// A range that resolves to the same packages is the same tree.
	b, err := i.Install(ctx, map[string]string{"lodash": "4.17.21", "is-number": "^7.0.0"})
	if err != nil {
		t.Fatalf("second install: %v", err)
	}
	if b.Hash != a.Hash {
		t.Fatalf("same resolved set, different trees: %s, %s", a.Hash, b.Hash)
	}
	if got := entries(t, i.o.Dir); len(got) != 1 || got[0] != a.Hash {
		t.Fatalf("trees directory holds %v, want only %s", got, a.Hash)
	}
	if got, ok := i.Lookup(a.Hash); !ok || got.Dir != a.Dir {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	// A restart (a new Installer on the same directory) finds the tree.
	again := newTestInstaller(t, Options{Dir: i.o.Dir})
	if _, ok := again.Lookup(a.Hash); !ok {
		t.Fatal("the tree is not found after a restart")
	}
}

func TestInstallRefusals(t *testing.T) {
	i := newTestInstaller(t, Options{})
	for _, tc := range []struct {
		name string
		deps map[string]string
		pkg  string
		say  []string
	}{
		{"unknown package", map[string]string{"tokenhook-no-such-package-7f3a9c": "1.0.0"}, "tokenhook-no-such-package-7f3a9c", []string{"tokenhook-no-such-package-7f3a9c", "Not Found"}},
		{"unknown version", map[string]string{"is-number": "99.0.0"}, "is-number", []string{"No matching version found for is-number@99.0.0"}},
		// utf-8-validate has a binding.gyp (and a JavaScript fallback,
		// which does not change that it is built at install).
		{"native build", map[string]string{"utf-8-validate": "6.0.4"}, "utf-8-validate", []string{"utf-8-validate@6.0.4 needs a native build", "binding.gyp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := i.Install(t.Context(), tc.deps)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *npm.Error", err)
			}
			for _, s := range tc.say {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not say %q", e.Message, s)
				}
			}
			if e.Unavailable {
				t.Errorf("%q is marked unavailable", e.Message)
			}
			if strings.Contains(e.Message, "_logs") {
				t.Errorf("message %q points at npm's debug log", e.Message)
			}
			if got := entries(t, i.o.Dir); len(got) != 0 {
				t.Fatalf("a refused install left %v", got)
			}
		})
	}
}

func TestInstallSizeLimit(t *testing.T) {
	i := newTestInstaller(t, Options{MaxBytes: 4 << 10})
	_, err := i.Install(t.Context(), map[string]string{"lodash": "4.17.21"})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "over the limit") {
		t.Fatalf("got %v, want the size limit", err)
	}
	if got := entries(t, i.o.Dir); len(got) != 0 {
		t.Fatalf("a refused install left %v", got)
	}
}

func TestInstallNeverLeaksRegistryCredentials(t *testing.T) {
	env := append(os.Environ(), "npm_config_fetch_retries=0")
	i := newTestInstaller(t, Options{
		Registry: "http://deploy:hunter2-registry-secret@127.0.0.1:1/",
		Cache:    t.TempDir(), // empty: npm must ask the registry
		Env:      env,
		Timeout:  2 * time.Minute,
	})
	_, err := i.Install(t.Context(), map[string]string{"is-number": "7.0.0"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *npm.Error", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error shows the registry password: %q", err.Error())
	}
	if !e.Unavailable || !strings.Contains(e.Message, "ECONNREFUSED") {
		t.Fatalf("got %+v, want an unavailable registry", e)
	}
}

func openStore(t *testing.T) storage.Storage {
	t.Helper()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(t.Context(), sqlitetest.Path(t, "tokenhook.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A second machine (its own trees directory) installs the saved tree from
// the stored lockfile in the background; until then the token path is told
// "not ready" without waiting.
func TestTreesEnsureFromStoredLockfile(t *testing.T) {
	store := openStore(t)
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	first := NewTrees(t.Context(), newTestInstaller(t, Options{}), store, "t1", nil, now)
	tree, err := first.Install(t.Context(), map[string]string{"is-number": "7.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if dir, err := first.Dir(tree.Hash); err != nil || dir != tree.Dir {
		t.Fatalf("Dir on the installing machine = %q, %v", dir, err)
	}

	second := NewTrees(t.Context(), newTestInstaller(t, Options{}), store, "t1", nil, now)
	if st, _ := second.Status(tree.Hash); st != StateMissing {
		t.Fatalf("status before = %s", st)
	}
	if _, err := second.Dir(tree.Hash); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Dir before the install = %v, want ErrNotReady", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := second.Wait(ctx, tree.Hash); err != nil {
		t.Fatalf("background install: %v", err)
	}
	dir, err := second.Dir(tree.Hash)
	if err != nil || filepath.Base(dir) != tree.Hash {
		t.Fatalf("Dir after = %q, %v", dir, err)
	}
	got, _ := second.Installer().Lookup(tree.Hash)
	if !bytes.Equal(got.Lockfile, tree.Lockfile) || installedVersion(t, got, "is-number") != "7.0.0" {
		t.Fatal("the second machine installed another tree")
	}
	if st, _ := second.Status(tree.Hash); st != StateReady {
		t.Fatalf("status after = %s", st)
	}

	// A hash nobody stored fails, and says so, without blocking.
	missing := strings.Repeat("ab", 32)
	if err := second.Wait(ctx, missing); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Wait(missing) = %v", err)
	}
	if st, err := second.Status(missing); st != StateFailed || err == nil {
		t.Fatalf("Status(missing) = %s, %v", st, err)
	}
	if _, err := second.Dir(missing); !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("Dir(missing) = %v", err)
	}
}
